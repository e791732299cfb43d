/**
 * The end of a child process the bench forks (worker.ts, cold-container-child.ts): a failure goes to the
 * parent over IPC as `{ error }` (the parent reports it), and the channel closes so the child can exit.
 */
export function runForked(main: () => Promise<void>): void {
  main().then(
    () => process.disconnect?.(),
    (error) => {
      process.send?.({ error: String((error as Error)?.stack ?? error) });
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
}
