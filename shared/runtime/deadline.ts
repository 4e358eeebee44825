/**
 * A promise bounded in time: settles as `work` does, or rejects with
 * `timeout()` after `ms`, whichever comes first. The timer is cleared as soon
 * as the work settles; work that outlives its deadline finishes (or fails)
 * unobserved. One promise and one timer per call: callers sit on hot paths.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
