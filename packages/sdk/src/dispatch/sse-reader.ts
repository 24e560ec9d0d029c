/**
 * A minimal Server-Sent Events reader over a response body: each event's `data` (multi-line data
 * joined by `\n`). Written here rather than taken from `openai`'s stream helper because the router
 * must see the `[DONE]` sentinel itself: a stream that ends without it was cut, and must not be
 * passed off as complete.
 *
 * Events are parsed a network read at a time and handed out from a buffer: `take()` returns the
 * next one without waiting, so a burst of chunks costs one await, not one per chunk.
 */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';
  #events: string[] = [];
  #next = 0;
  #done = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next buffered event's data, or `undefined` if none is buffered (see `read`). */
  take(): string | undefined {
    return this.#next < this.#events.length ? this.#events[this.#next++] : undefined;
  }

  /** The next event's data, waiting for the network if needed; `undefined` at the end of the body. */
  async read(): Promise<string | undefined> {
    while (true) {
      const data = this.take();
      if (data !== undefined) return data;
      if (this.#done) return undefined;
      await this.#fill();
    }
  }

  /** Stops reading and cancels the body, freeing the socket. */
  cancel(): void {
    this.#done = true;
    this.#reader.cancel().catch(() => {});
  }

  async #fill(): Promise<void> {
    const { done, value } = await this.#reader.read();
    this.#events = [];
    this.#next = 0;
    if (done) {
      this.#done = true;
      const data = dataOf((this.#buffer + this.#decoder.decode()).replace(/\r\n?/g, '\n'));
      this.#buffer = '';
      if (data !== undefined) this.#events.push(data);
      return;
    }
    let buffer = this.#buffer + this.#decoder.decode(value, { stream: true });
    if (buffer.includes('\r')) {
      // A `\r` at the end may be the first half of a `\r\n` split across reads: keep it back.
      const held = buffer.endsWith('\r') ? 1 : 0;
      buffer = buffer.slice(0, buffer.length - held).replace(/\r\n?/g, '\n') + (held ? '\r' : '');
    }
    let start = 0;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const data = dataOf(buffer.slice(start, end));
      if (data !== undefined) this.#events.push(data);
      start = end + 2;
      end = buffer.indexOf('\n\n', start);
    }
    this.#buffer = start > 0 ? buffer.slice(start) : buffer;
  }
}

function dataOf(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split('\n')) {
    if (!line.startsWith('data:')) continue; // comments, event:, id:, retry:
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}
