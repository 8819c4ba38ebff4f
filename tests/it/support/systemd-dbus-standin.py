#!/usr/bin/env python3
"""A tiny stand-in for systemd's private D-Bus socket, for the real Ignition.

Ignition 2.14 (through go-systemd/godbus) dials unix:path=/run/systemd/private,
authenticates with EXTERNAL, sends AddMatch (no Hello on the private socket)
and then Properties.Get("org.freedesktop.systemd1.Manager", "Version") when it
enables a template instance. This answers that Get with the string "252", and
every other method call with an empty method return.

Usage: systemd-dbus-standin.py SOCKET_PATH [READY_FILE]
Serves until killed; writes READY_FILE (if given) once listening.
"""
import os
import socket
import struct
import sys
import threading

VERSION = "252"
GUID = b"6b696e646c696e67652e652e652e2e31"  # 32 hex chars


def pad(buf, align):
    return buf + b"\0" * ((-len(buf)) % align)


class Reader:
    def __init__(self, data, little):
        self.data = data
        self.pos = 0
        self.e = "<" if little else ">"

    def align(self, n):
        self.pos += (-self.pos) % n

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self):
        self.align(4)
        (v,) = struct.unpack_from(self.e + "I", self.data, self.pos)
        self.pos += 4
        return v

    def string(self):
        n = self.u32()
        s = self.data[self.pos : self.pos + n].decode("utf-8", "replace")
        self.pos += n + 1
        return s

    def signature(self):
        n = self.byte()
        s = self.data[self.pos : self.pos + n].decode("ascii", "replace")
        self.pos += n + 1
        return s

    def value(self, sig):
        if sig in ("s", "o"):
            return self.string()
        if sig == "g":
            return self.signature()
        if sig == "u":
            return self.u32()
        if sig == "y":
            return self.byte()
        raise ValueError("unsupported header field type " + sig)


def parse_header(hdr16, fields):
    little = hdr16[0:1] == b"l"
    e = "<" if little else ">"
    msg_type, flags = hdr16[1], hdr16[2]
    body_len, serial = struct.unpack_from(e + "II", hdr16, 4)
    r = Reader(hdr16 + fields, little)
    r.pos = 16
    out = {}
    end = len(hdr16) + len(fields)
    while r.pos < end:
        r.align(8)
        if r.pos >= end:
            break
        code = r.byte()
        sig = r.signature()
        out[code] = r.value(sig)
    return little, msg_type, flags, body_len, serial, out


def parse_body_strings(body, little, sig):
    r = Reader(body, little)
    vals = []
    for c in sig:
        if c not in "so":
            break
        vals.append(r.string())
    return vals


class Writer:
    def __init__(self):
        self.buf = b""

    def align(self, n):
        self.buf = pad(self.buf, n)

    def byte(self, b):
        self.buf += bytes([b])

    def u32(self, v):
        self.align(4)
        self.buf += struct.pack("<I", v)

    def string(self, s):
        b = s.encode()
        self.u32(len(b))
        self.buf += b + b"\0"

    def signature(self, s):
        b = s.encode()
        self.byte(len(b))
        self.buf += b + b"\0"


def method_return(serial, reply_serial, dest, body_sig, body):
    fields = Writer()
    fields.buf = b"\0" * 16  # keep alignment relative to message start
    fields.align(8)
    fields.byte(5)
    fields.signature("u")
    fields.u32(reply_serial)
    if dest:
        fields.align(8)
        fields.byte(6)
        fields.signature("s")
        fields.string(dest)
    if body_sig:
        fields.align(8)
        fields.byte(8)
        fields.signature("g")
        fields.signature(body_sig)
    field_bytes = fields.buf[16:]
    head = b"l" + bytes([2, 1, 1]) + struct.pack("<III", len(body), serial, len(field_bytes))
    return pad(head + field_bytes, 8) + body


def version_variant():
    w = Writer()
    w.signature("s")
    w.string(VERSION)
    return w.buf


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def recv_line(conn, buf):
    while b"\r\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            raise EOFError
        buf += chunk
    line, rest = buf.split(b"\r\n", 1)
    return line, rest


def serve(conn):
    serial = 0
    try:
        buf = recv_exact(conn, 1)  # the initial NUL byte
        buf = b""
        while True:
            line, buf = recv_line(conn, buf)
            words = line.split()
            if not words:
                continue
            cmd = words[0]
            if cmd == b"AUTH":
                if len(words) >= 2 and words[1] == b"EXTERNAL":
                    if len(words) >= 3:
                        conn.sendall(b"OK " + GUID + b"\r\n")
                    else:
                        conn.sendall(b"DATA\r\n")
                else:
                    conn.sendall(b"REJECTED EXTERNAL\r\n")
            elif cmd == b"DATA":
                conn.sendall(b"OK " + GUID + b"\r\n")
            elif cmd == b"NEGOTIATE_UNIX_FD":
                conn.sendall(b"AGREE_UNIX_FD\r\n")
            elif cmd == b"CANCEL":
                conn.sendall(b"REJECTED EXTERNAL\r\n")
            elif cmd == b"BEGIN":
                break
            else:
                conn.sendall(b"ERROR\r\n")
        pending = buf
        while True:
            need = 16 - len(pending)
            hdr = pending[:16] + (recv_exact(conn, need) if need > 0 else b"")
            pending = pending[16:]
            little = hdr[0:1] == b"l"
            (fields_len,) = struct.unpack_from(("<" if little else ">") + "I", hdr, 12)
            (body_len,) = struct.unpack_from(("<" if little else ">") + "I", hdr, 4)
            rest_len = fields_len + ((-(16 + fields_len)) % 8) + body_len
            have = pending[:rest_len]
            pending = pending[rest_len:]
            rest = have + (recv_exact(conn, rest_len - len(have)) if len(have) < rest_len else b"")
            fields = rest[:fields_len]
            body = rest[rest_len - body_len :]
            little, msg_type, flags, _, msg_serial, hf = parse_header(hdr, fields)
            if msg_type != 1 or flags & 0x1:  # not a call, or no reply expected
                continue
            serial += 1
            iface, member, sig = hf.get(2, ""), hf.get(3, ""), hf.get(8, "")
            reply = method_return(serial, msg_serial, hf.get(7), "", b"")
            if iface == "org.freedesktop.DBus.Properties" and member == "Get" and sig.startswith("ss"):
                args = parse_body_strings(body, little, "ss")
                if args == ["org.freedesktop.systemd1.Manager", "Version"]:
                    reply = method_return(serial, msg_serial, hf.get(7), "v", version_variant())
            sys.stderr.write("standin: %s.%s -> %s\n" % (iface, member, "Version" if b"252" in reply else "empty"))
            conn.sendall(reply)
    except (EOFError, ConnectionError, OSError):
        pass
    finally:
        conn.close()


def main():
    path = sys.argv[1]
    ready = sys.argv[2] if len(sys.argv) > 2 else None
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(16)
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
