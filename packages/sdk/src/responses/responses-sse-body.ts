import type { RouterStream } from '../dispatch/router-stream.js';
import { TieredError } from '../errors.js';
import { ResponsesEventWriter } from './responses-event-writer.js';

const encoder = new TextEncoder();

/**
 * The SSE body `router.fetch` answers a streamed Responses call with. A native endpoint's events
 * pass through as they came; a translated call's chat chunks become Responses events. A stream
 * that breaks (cut, stalled, garbled, an upstream error) gets an `error` event, then an errored
 * body: a client reading events sees why, one reading the body sees it fail, and none sees a
 * clean `response.completed`. Cancelling the body aborts upstream.
 */
export function responsesSseBody(
  stream: RouterStream,
  request: Record<string, unknown>,
): ReadableStream<Uint8Array> {
  let writer: ResponsesEventWriter | undefined;
  let passed = 0;
  let failure: unknown;
  let failed = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (failed) {
        controller.error(failure);
        return;
      }
      try {
        // Until there is something to send: a pull that enqueues nothing is not called again.
        while (true) {
          const item = await stream.nextItem();
          if (!item) {
            // A native stream ended with its own final event; a translated one ends here.
            if (passed === 0) {
              writer ??= new ResponsesEventWriter(request, stream.requestId);
              controller.enqueue(encoder.encode(writer.end()));
            }
            controller.close();
            return;
          }
          if (item.event !== undefined) {
            passed++;
            controller.enqueue(encoder.encode(`event: ${item.event}\ndata: ${item.data}\n\n`));
            return;
          }
          writer ??= new ResponsesEventWriter(request, stream.requestId);
          const events = writer.chunk(item.chunk);
          if (events) {
            controller.enqueue(encoder.encode(events));
            return;
          }
        }
      } catch (error) {
        failed = true;
        failure = error;
        const code = TieredError.isInstance(error) ? error.code : 'stream_interrupted';
        const message = error instanceof Error ? error.message : String(error);
        // The error event goes out first; the body errors at the next read (erroring it now would
        // drop the event still queued).
        const event = writer
          ? writer.error(code, message)
          : `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: passed, code, message, param: null })}\n\n`;
        controller.enqueue(encoder.encode(event));
      }
    },
    cancel() {
      stream.cancel();
    },
  });
}
