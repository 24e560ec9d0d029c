/** Reasons the router aborts an attempt itself, told apart from the caller's abort. */
export const FIRST_TOKEN_TIMEOUT = Symbol('first-token timeout');
export const STALL_TIMEOUT = Symbol('stall timeout');
export const HEDGE_LOST = Symbol('hedge lost');

/**
 * Aborts `child` when `parent` aborts, with the parent's reason. Returns the unlink function: call
 * it when the child's work ends, so long-lived parents (session signals) don't collect listeners.
 */
export function linkAbort(parent: AbortSignal | undefined, child: AbortController): () => void {
  if (!parent) return noop;
  if (parent.aborted) {
    child.abort(parent.reason);
    return noop;
  }
  const onAbort = () => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function noop(): void {}
