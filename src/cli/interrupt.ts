/**
 * Ctrl-C and SIGTERM for commands that run nodes: the first signal cancels the run (running
 * queries are interrupted, nothing new starts, artifacts are still written); a second one
 * kills the process at once. The exit code says which signal stopped the run: 130 (SIGINT),
 * 143 (SIGTERM); after a second signal the shell sees 137 (killed).
 */
import type { Output } from './output.js';

export async function runInterruptibly(out: Output, work: (signal: AbortSignal) => Promise<boolean>): Promise<number> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const codeFor = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);
  const onSignal = (signal: NodeJS.Signals) => {
    // process.exit would wait for the warehouse driver's threads (DuckDB lets a statement the
    // first interrupt missed run on): a second signal means now.
    if (received) process.kill(process.pid, 'SIGKILL');
    received = signal;
    // Only a person at a terminal presses Ctrl-C; a SIGTERM comes from a scheduler or `kill`.
    const again = signal === 'SIGINT' ? ' (press Ctrl-C again to exit at once)' : ' (a second SIGTERM exits at once)';
    out.warn(`${signal} received: cancelling running queries, starting nothing new${again}`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const success = await work(controller.signal);
    return received ? codeFor(received) : success ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
