import { describe, expect, it } from 'vitest';
import { isStrataError } from '../../src/domain/errors.ts';
import { defaultExecLimits, limitError, resolveExecLimits } from '../../src/exec/limits.ts';
import { MemoryBaseFs } from '../../src/exec/memoryFs.ts';
import { limitExitCode, runCommand } from '../../src/exec/runCommand.ts';
import type { ExecLimits, ExecResult } from '../../src/exec/types.ts';
import { text } from './harness.ts';

const base = () => MemoryBaseFs.from({ '/tmp': { dir: true }, '/data/a.txt': 'alpha\n' });
const run = (script: string, limits: Partial<ExecLimits>, signal?: AbortSignal) =>
  runCommand(base(), script, { limits, ...(signal ? { signal } : {}) });

const paths = (result: ExecResult) => result.operations.map((op) => ('path' in op ? op.path : op.from));

function expectStopped(result: ExecResult, limit: string) {
  expect(result.limitHit?.limit).toBe(limit);
  expect(result.exitCode).toBe(limitExitCode);
  expect(result.stderr).toMatch(/\nstrata: exec stopped: .+\n$|^strata: exec stopped: .+\n$/);
  expect(result.stderr).not.toMatch(/executionLimits/);
}

describe('exec limits', () => {
  it('stops an endless loop, keeping the writes made before it', async () => {
    const result = await run('echo a > /before; while true; do :; done; echo b > /after', {
      maxLoopIterations: 100,
    });
    expectStopped(result, 'loopIterations');
    expect(result.limitHit).toEqual({
      limit: 'loopIterations',
      value: 100,
      message: 'limit of 100 loop iterations exceeded',
    });
    expect(paths(result)).toEqual(['/before']);
  });

  it('counts iterations of seq, awk and sed loops too', async () => {
    expectStopped(await run('seq 1 1000 | wc -l', { maxLoopIterations: 100 }), 'loopIterations');
    expectStopped(await run("awk 'BEGIN { while (1) {} }'", { maxLoopIterations: 100 }), 'loopIterations');
  });

  it('stops after too many commands', async () => {
    const result = await run('echo x > /f; for i in 1 2 3 4 5 6 7 8 9 10; do true; done', { maxCommands: 5 });
    expectStopped(result, 'commands');
    expect(paths(result)).toEqual(['/f']);
  });

  it('stops on too much output', async () => {
    const result = await run('for i in 1 2 3 4 5 6 7 8 9 10; do echo 0123456789; done', {
      maxOutputBytes: 50,
    });
    expectStopped(result, 'outputBytes');
  });

  it('stops on deep recursion', async () => {
    expectStopped(await run('f() { f; }; f', { maxCallDepth: 20 }), 'callDepth');
  });

  it('stops a sleeping command at the wall-time limit', async () => {
    const started = Date.now();
    const result = await run('echo a > /a; sleep 10; echo b > /b', { wallTimeMs: 300 });
    expectStopped(result, 'wallTime');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(paths(result)).toEqual(['/a']);
  });

  it('stops a busy loop at the wall-time limit', async () => {
    const result = await run('while true; do echo x >> /spin; done', {
      wallTimeMs: 300,
      maxLoopIterations: 1e9,
    });
    expectStopped(result, 'wallTime');
    expect(paths(result)).toEqual(['/spin']);
  });

  it('stops when the total written exceeds its limit, keeping what fit', async () => {
    const result = await run(
      "for i in 1 2 3 4 5 6 7 8 9 10; do printf '%099d\\n' 0 >> /f; done; echo done > /g",
      {
        maxBytesWritten: 450,
      },
    );
    expectStopped(result, 'bytesWritten');
    expect(result.operations).toHaveLength(1);
    expect((result.operations[0] as { content: Uint8Array }).content.length).toBe(400);
    expect(result.limitHit?.message).toBe('limit of 450 bytes written exceeded: /f');
  });

  it('refuses a file larger than the limit, keeping earlier writes', async () => {
    const result = await run(
      "echo visible; echo small > /s; printf '%02000d' 0 > /big; echo after > /after",
      {
        maxFileSize: 1000,
      },
    );
    expectStopped(result, 'fileSize');
    expect(result.stdout).toBe('visible\n');
    expect(result.operations.map((op) => [op.op, 'path' in op && op.path])).toEqual([
      ['writeFile', '/s'],
      ['writeFile', '/big'],
    ]);
    // The truncating open of /big happened; its content never did.
    expect((result.operations[1] as { content: Uint8Array }).content.length).toBe(0);
    expect(result.limitHit?.message).toBe('file size limit of 1000 bytes exceeded: /big');
  });

  it('applies the file size limit to cp as well', async () => {
    const big = MemoryBaseFs.from({ '/big': 'y'.repeat(5000) });
    const result = await runCommand(big, 'cp /big /copy', { limits: { maxFileSize: 1000 } });
    expectStopped(result, 'fileSize');
    expect(result.operations).toEqual([]);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await run('echo a > /a; sleep 10', {}, controller.signal);
    expect(result.limitHit?.limit).toBe('aborted');
    expect(result.exitCode).toBe(limitExitCode);
    expect(text((result.operations[0] as { content: Uint8Array }).content)).toBe('a\n');
  });

  it('has documented defaults and rejects invalid values', async () => {
    expect(resolveExecLimits()).toEqual(defaultExecLimits);
    expect(resolveExecLimits({ wallTimeMs: 5 }).wallTimeMs).toBe(5);
    for (const bad of [{ wallTimeMs: 0 }, { maxFileSize: 1.5 }, { nope: 1 } as Partial<ExecLimits>]) {
      await expect(runCommand(base(), 'true', { limits: bad })).rejects.toSatisfy(
        (error: unknown) => isStrataError(error) && error.code === 'VALIDATION',
      );
    }
  });

  it('converts a hit into a VALIDATION StrataError for callers that want to throw', async () => {
    const result = await run('while :; do :; done', { maxLoopIterations: 10 });
    const error = limitError(result);
    expect(error?.code).toBe('VALIDATION');
    expect(error?.details).toEqual({ limit: 'loopIterations', value: 10 });
    expect(limitError(await run('true', {}))).toBeNull();
  });
});
