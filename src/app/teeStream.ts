/**
 * Splits one stream of chunks between the caller and a sink running at the same time (a layer blob
 * is stored while it is parsed), with backpressure: the caller waits while more than `maxQueued`
 * bytes are waiting for the sink. The returned `done` settles when the sink has finished; a sink
 * failure ends the caller's stream with that error, and a caller failure or early exit ends the
 * sink's stream with an error, so nothing half-written is ever taken as complete.
 */
export function teeStream(
  source: AsyncIterable<Uint8Array>,
  sink: (branch: AsyncIterable<Uint8Array>) => Promise<unknown>,
  maxQueued = 2 * 1024 * 1024,
): { stream: AsyncIterable<Uint8Array>; done: Promise<unknown> } {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let aborted: unknown;
  let sinkFailure: { error: unknown } | undefined;
  let sinkFinished = false;
  let wakeSink: (() => void) | undefined;
  let wakeSource: (() => void) | undefined;
  const signal = (wake: (() => void) | undefined) => wake?.();

  const branch: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) {
          queued -= chunk.byteLength;
          signal(wakeSource);
          yield chunk;
          continue;
        }
        if (aborted !== undefined) throw aborted;
        if (ended) return;
        await new Promise<void>((resolve) => {
          wakeSink = resolve;
        });
        wakeSink = undefined;
      }
    },
  };
  const done = sink(branch);
  done.then(
    () => {
      // A sink may stop early (the content was already stored): the rest is not queued for it.
      sinkFinished = true;
      queue.length = 0;
      queued = 0;
      signal(wakeSource);
    },
    (error: unknown) => {
      sinkFailure = { error };
      signal(wakeSource);
    },
  );

  async function* stream(): AsyncGenerator<Uint8Array> {
    let finished = false;
    try {
      for await (const chunk of source) {
        while (queued > maxQueued && !sinkFailure && !sinkFinished) {
          await new Promise<void>((resolve) => {
            wakeSource = resolve;
          });
          wakeSource = undefined;
        }
        if (sinkFailure) throw sinkFailure.error;
        if (!sinkFinished) {
          queue.push(chunk);
          queued += chunk.byteLength;
          signal(wakeSink);
        }
        yield chunk;
      }
      ended = true;
      finished = true;
      signal(wakeSink);
    } finally {
      if (!finished) {
        aborted = new Error('the stream was not read to its end');
        signal(wakeSink);
      }
    }
  }
  return { stream: stream(), done };
}
