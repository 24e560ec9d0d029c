/**
 * A minimal Server-Sent Events reader: yields each event's `data` (multi-line data joined by
 * `\n`). Written here rather than taken from `openai`'s stream helper because the router must see
 * the `[DONE]` sentinel itself: a stream that ends without it was cut, and must not be passed off
 * as complete.
 */
export async function* readSseData(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<string, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let finished = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.includes('\r')) {
        // A `\r` at the end may be the first half of a `\r\n` split across reads: keep it back.
        const held = buffer.endsWith('\r') ? 1 : 0;
        buffer = buffer.slice(0, buffer.length - held).replace(/\r\n?/g, '\n') + (held ? '\r' : '');
      }
      let start = 0;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const data = dataOf(buffer.slice(start, end));
        start = end + 2;
        if (data !== undefined) yield data;
        end = buffer.indexOf('\n\n', start);
      }
      if (start > 0) buffer = buffer.slice(start);
    }
    finished = true;
    buffer = (buffer + decoder.decode()).replace(/\r\n?/g, '\n');
    const data = dataOf(buffer);
    if (data !== undefined) yield data;
  } finally {
    // Left early (the consumer stopped, or an error): cancel the body so the socket is freed.
    if (finished) reader.releaseLock();
    else reader.cancel().catch(() => {});
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
