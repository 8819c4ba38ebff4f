//! Key-name tables (see the parent module for their origin), as
//! whitespace-separated lists.

pub const CONDITIONS: &str = "\
PathExists PathExistsGlob PathIsDirectory PathIsSymbolicLink PathIsMountPoint \
PathIsReadWrite PathIsEncrypted DirectoryNotEmpty FileNotEmpty FileIsExecutable \
NeedsUpdate FirstBoot Architecture Firmware Virtualization Host KernelCommandLine \
KernelVersion Version Credential Security Capability ACPower Memory CPUFeature CPUs \
Environment User Group ControlGroupController OSRelease MemoryPressure CPUPressure \
IOPressure KernelModuleLoaded";

pub const UNIT: &str = "\
Description Documentation SourcePath Requires Requisite Wants BindsTo BindTo Upholds \
Conflicts Before After OnSuccess OnFailure PropagatesReloadTo PropagateReloadTo \
ReloadPropagatedFrom PropagateReloadFrom PropagatesStopTo StopPropagatedFrom PartOf \
JoinsNamespaceOf RequiresMountsFor WantsMountsFor StopWhenUnneeded RefuseManualStart \
RefuseManualStop AllowIsolate DefaultDependencies SurviveFinalKillSignal OnSuccessJobMode \
OnFailureJobMode OnFailureIsolate IgnoreOnIsolate JobTimeoutSec JobRunningTimeoutSec \
JobTimeoutAction JobTimeoutRebootArgument StartLimitIntervalSec StartLimitInterval \
StartLimitBurst StartLimitAction FailureAction SuccessAction FailureActionExitStatus \
SuccessActionExitStatus RebootArgument CollectMode";

pub const UNIT_OBSOLETE: &str = "\
RequiresOverridable RequisiteOverridable IgnoreOnSnapshot";

/// `[Unit]` keys whose values are unit names (Quadlet 5.5+ translates
/// Quadlet file names in them).
pub const UNIT_DEPENDENCY_KEYS: &str = "\
After Before BindsTo Conflicts OnFailure OnSuccess PartOf PropagatesReloadTo \
PropagatesStopTo ReloadPropagatedFrom Requires Requisite StopPropagatedFrom Upholds Wants";

pub const INSTALL: &str = "\
Alias WantedBy RequiredBy UpheldBy Also DefaultInstance";

pub const SERVICE: &str = "\
PIDFile ExecCondition ExecStartPre ExecStart ExecReload ExecStartPost ExecStop \
ExecStopPost RestartSec RestartSteps RestartMaxDelaySec TimeoutSec TimeoutStartSec \
TimeoutStopSec TimeoutAbortSec TimeoutStartFailureMode TimeoutStopFailureMode \
RuntimeMaxSec RuntimeRandomizedExtraSec WatchdogSec StartLimitInterval StartLimitBurst \
StartLimitAction FailureAction RebootArgument Type ExitType Restart RestartMode \
PermissionsStartOnly RootDirectoryStartOnly RemainAfterExit GuessMainPID \
RestartPreventExitStatus RestartForceExitStatus SuccessExitStatus NonBlocking BusName \
FileDescriptorStoreMax FileDescriptorStorePreserve NotifyAccess Sockets \
USBFunctionDescriptors USBFunctionStrings OOMPolicy OpenFile ReloadSignal";

pub const SERVICE_OBSOLETE: &str = "\
SysVStartPriority BusPolicy Capabilities CPUAccounting CPUShares StartupCPUShares \
MemoryLimit BlockIOAccounting BlockIOWeight StartupBlockIOWeight BlockIODeviceWeight \
BlockIOReadBandwidth BlockIOWriteBandwidth NetClass";

pub const KILL: &str = "\
SendSIGKILL SendSIGHUP KillMode KillSignal RestartKillSignal FinalKillSignal \
WatchdogSignal";

/// Execution-environment keys (valid in `[Service]`).
pub const EXEC: &str = "\
WorkingDirectory RootDirectory RootImage RootImageOptions RootImagePolicy RootHash \
RootHashSignature RootVerity RootEphemeral ExtensionDirectories ExtensionImages \
ExtensionImagePolicy MountImages MountImagePolicy User Group SupplementaryGroups \
SetLoginEnvironment Nice OOMScoreAdjust CoredumpFilter IOSchedulingClass \
IOSchedulingPriority CPUSchedulingPolicy CPUSchedulingPriority CPUSchedulingResetOnFork \
CPUAffinity NUMAPolicy NUMAMask UMask Environment EnvironmentFile PassEnvironment \
UnsetEnvironment DynamicUser RemoveIPC StandardInput StandardOutput StandardError \
StandardInputText StandardInputData TTYPath TTYReset TTYVHangup TTYVTDisallocate TTYRows \
TTYColumns SyslogIdentifier SyslogFacility SyslogLevel SyslogLevelPrefix LogLevelMax \
LogRateLimitIntervalSec LogRateLimitBurst LogExtraFields LogFilterPatterns SecureBits \
CapabilityBoundingSet AmbientCapabilities TimerSlackNSec NoNewPrivileges KeyringMode \
ProtectProc ProcSubset PrivateBPF BPFDelegateCommands BPFDelegateMaps BPFDelegatePrograms \
BPFDelegateAttachments SystemCallFilter SystemCallArchitectures SystemCallErrorNumber \
SystemCallLog MemoryDenyWriteExecute RestrictNamespaces RestrictRealtime RestrictSUIDSGID \
RestrictAddressFamilies LockPersonality DelegateNamespaces RestrictFileSystems \
LandlockConfig LimitCPU LimitFSIZE LimitDATA LimitSTACK LimitCORE LimitRSS LimitNOFILE \
LimitAS LimitNPROC LimitMEMLOCK LimitLOCKS LimitSIGPENDING LimitMSGQUEUE LimitNICE \
LimitRTPRIO LimitRTTIME ReadWriteDirectories ReadOnlyDirectories InaccessibleDirectories \
ReadWritePaths ReadOnlyPaths InaccessiblePaths ExecPaths NoExecPaths ExecSearchPath \
BindPaths BindReadOnlyPaths TemporaryFileSystem PrivateTmp PrivateDevices \
ProtectKernelTunables ProtectKernelModules ProtectKernelLogs ProtectClock \
ProtectControlGroups NetworkNamespacePath IPCNamespacePath LogNamespace PrivateNetwork \
PrivateUsers PrivateMounts PrivateIPC PrivatePIDs ProtectSystem ProtectHome MountFlags \
MountAPIVFS BindLogSockets Personality RuntimeDirectoryPreserve RuntimeDirectoryMode \
RuntimeDirectory StateDirectoryMode StateDirectoryAccounting StateDirectoryQuota \
StateDirectory CacheDirectoryMode CacheDirectoryAccounting CacheDirectoryQuota \
CacheDirectory LogsDirectoryMode LogsDirectoryAccounting LogsDirectoryQuota LogsDirectory \
ConfigurationDirectoryMode ConfigurationDirectory SetCredential SetCredentialEncrypted \
LoadCredential LoadCredentialEncrypted ImportCredential TimeoutCleanSec PAMName \
IgnoreSIGPIPE UtmpIdentifier UtmpMode SELinuxContext AppArmorProfile SmackProcessLabel \
ProtectHostname MemoryKSM";

/// Resource-control keys (valid in `[Service]`).
pub const CGROUP: &str = "\
Slice AllowedCPUs StartupAllowedCPUs AllowedMemoryNodes StartupAllowedMemoryNodes \
CPUWeight StartupCPUWeight CPUQuota CPUQuotaPeriodSec MemoryAccounting MemoryMin \
DefaultMemoryMin DefaultMemoryLow DefaultStartupMemoryLow MemoryLow StartupMemoryLow \
MemoryHigh StartupMemoryHigh MemoryMax StartupMemoryMax MemorySwapMax StartupMemorySwapMax \
MemoryZSwapMax StartupMemoryZSwapMax MemoryZSwapWriteback DeviceAllow DevicePolicy \
IOAccounting IOWeight StartupIOWeight IODeviceWeight IOReadBandwidthMax \
IOWriteBandwidthMax IOReadIOPSMax IOWriteIOPSMax IODeviceLatencyTargetSec TasksAccounting \
TasksMax Delegate DelegateSubgroup DisableControllers IPAccounting IPAddressAllow \
IPAddressDeny IPIngressFilterPath IPEgressFilterPath ManagedOOMSwap \
ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit ManagedOOMMemoryPressureDurationSec \
ManagedOOMPreference BPFProgram SocketBindAllow SocketBindDeny RestrictNetworkInterfaces \
MemoryPressureThresholdSec MemoryPressureWatch NFTSet CoredumpReceive";
