// exec: a bash command line against a container's merged filesystem (see docs/exec.md).
export { defaultExecLimits, limitError, resolveExecLimits } from './limits.ts';
export { MemoryBaseFs, type TreeSpec } from './memoryFs.ts';
export { defaultPath, limitExitCode, runCommand } from './runCommand.ts';
export type {
  BaseFs,
  ExecLimitName,
  ExecLimits,
  ExecOptions,
  ExecResult,
  FsOperation,
  LimitHit,
  ShellState,
} from './types.ts';
