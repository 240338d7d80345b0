// Runs a callback at a wall-clock moment, however far away (setTimeout alone stops at about 24.8 days).
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Schedules `run` at `when` (at once if that has passed); returns a cancel function. */
export function atTime(when: Date, run: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = when.getTime() - Date.now();
    if (left <= 0) {
      timer = undefined;
      run();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMEOUT_MS));
    timer.unref();
  };
  arm();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
