# The KVM probe guest: a 64 KiB BIOS image (`kindling::vm::probe_bios`)
# that proves the accelerator runs a guest. From the reset vector it builds
# identity page tables, enables PAE, long mode and paging in one step, jumps
# to 64-bit code and writes 1 to the isa-debug-exit port 0xf4, so qemu exits
# with status 3. It writes '1', '2', '3' to the debug console port 0xe9 as
# it goes. Every byte not written by an instruction is 0xf4 (hlt).
#
# The bytes in kvm_probe.rs are this file's output; its test rebuilds them:
#   as --64 -o kvm_probe.o kvm_probe.s
#   ld -Ttext=0xF0000 --oformat binary -o kvm_probe.bin kvm_probe.o

        .code16
        .globl _start
_start: cli
        xor %ax, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov $'1', %al
        out %al, $0xe9
        # Zero 0x1000-0x3fff: PML4, PDPT and PD.
        mov $0x1000, %di
        mov $0x1800, %cx
        xor %ax, %ax
        rep stosw
        # PML4[0] -> PDPT, PDPT[0] -> PD, PD[0] = one 2 MiB page at 0.
        movl $0x2003, 0x1000
        movl $0x3003, 0x2000
        movl $0x83, 0x3000
        # Addressed through %cs: the image runs at 0xF0000 (segment 0xF000).
        lgdtl %cs:(gdtr - _start)
        mov %cr4, %eax
        or $0x20, %eax                  # CR4.PAE
        mov %eax, %cr4
        mov $0x1000, %eax
        mov %eax, %cr3
        mov $0xC0000080, %ecx           # EFER
        rdmsr
        or $0x100, %eax                 # EFER.LME
        wrmsr
        mov $'2', %al
        out %al, $0xe9
        mov %cr0, %eax
        or $0x80000001, %eax            # CR0.PG | CR0.PE
        mov %eax, %cr0
        ljmpl $0x08, $long_mode

        .code64
long_mode:
        mov $'3', %al
        out %al, $0xe9
        # A 64-bit register operation, which only long mode can run.
        movabs $0x123456789, %rax
        add %rax, %rax
        mov $1, %al
        out %al, $0xf4                  # isa-debug-exit: qemu exits with 3
1:      hlt
        jmp 1b

        .p2align 3, 0xf4
gdt:    .quad 0, 0x00209A0000000000     # null, 64-bit code segment (0x08)
gdtr:   .word gdtr - gdt - 1
        .long gdt

        .org 0xFFF0, 0xf4               # the reset vector, 0xFFFF0
        .code16
        ljmpw $0xF000, $0x0000
        .org 0x10000, 0xf4
