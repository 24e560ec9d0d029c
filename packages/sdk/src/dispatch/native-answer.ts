// The native answer behind a completion or chunk the engine read from a Responses endpoint, kept
// beside it rather than on it: the engine works on chat shapes, the caller gets what upstream sent.
const answers = new WeakMap<object, string | object>();

/**
 * Records the native answer a chat completion (or final chunk) stands for: the raw JSON text of a
 * plain answer, or the `response` object of a stream's final event.
 */
export function attachNativeAnswer(target: object, answer: string | object): void {
  answers.set(target, answer);
}

/** The native answer recorded for `target`, if any (see `attachNativeAnswer`). */
export function nativeAnswerOf(target: object): string | object | undefined {
  return answers.get(target);
}
