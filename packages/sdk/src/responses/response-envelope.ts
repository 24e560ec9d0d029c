import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type {
  Response,
  ResponseOutputItem,
  ResponseOutputText,
  ResponseUsage,
} from 'openai/resources/responses/responses';

type Json = Record<string, unknown>;
type FinishReason = ChatCompletion.Choice['finish_reason'] | null;

/** A Response without the SDK-computed `output_text` (it is not on the wire). */
export type WireResponse = Omit<Response, 'output_text'>;

/** `usage` as the Responses API words it. */
export function responseUsage(usage: CompletionUsage): ResponseUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: {
      cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      cache_write_tokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
    },
    output_tokens: usage.completion_tokens,
    output_tokens_details: {
      reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    },
    total_tokens: usage.total_tokens,
  };
}

/** Chat logprobs as Responses logprobs (the same fields). */
export function responseLogprobs(
  logprobs: ChatCompletionChunk.Choice.Logprobs['content'] | undefined,
): ResponseOutputText.Logprob[] {
  if (!logprobs) return [];
  return logprobs.map((l) => ({
    token: l.token,
    logprob: l.logprob,
    bytes: l.bytes ?? [],
    top_logprobs: (l.top_logprobs ?? []).map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: t.bytes ?? [],
    })),
  }));
}

/** `status` and `incomplete_details` for how the answer ended. */
export function responseStatus(finishReason: FinishReason): {
  status: 'completed' | 'incomplete';
  incomplete_details: Response['incomplete_details'];
} {
  if (finishReason === 'length') {
    return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  }
  if (finishReason === 'content_filter') {
    return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  }
  return { status: 'completed', incomplete_details: null };
}

/**
 * The response object around translated output, echoing the request as the Responses API does
 * (`instructions`, `tools`, `tool_choice`, `text`, `max_output_tokens`, sampling fields, metadata).
 */
export function responseEnvelope(
  request: Json,
  fields: {
    readonly id: string;
    readonly createdAt: number;
    readonly model: string;
    readonly finishReason: FinishReason;
    readonly inProgress: boolean;
    readonly output: ResponseOutputItem[];
    readonly usage: CompletionUsage | undefined | null;
  },
): WireResponse {
  const ended = responseStatus(fields.finishReason);
  const status = fields.inProgress ? 'in_progress' : ended.status;
  const reasoning = request.reasoning as { effort?: unknown } | undefined;
  return {
    id: fields.id,
    object: 'response',
    created_at: fields.createdAt,
    status,
    background: false,
    completed_at: status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    error: null,
    incomplete_details: fields.inProgress ? null : ended.incomplete_details,
    instructions: typeof request.instructions === 'string' ? request.instructions : null,
    max_output_tokens:
      typeof request.max_output_tokens === 'number' ? request.max_output_tokens : null,
    metadata: (request.metadata as Response['metadata']) ?? {},
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: request.parallel_tool_calls !== false,
    previous_response_id: null,
    reasoning: {
      effort: (reasoning?.effort as NonNullable<Response['reasoning']>['effort']) ?? null,
      summary: null,
    },
    temperature: typeof request.temperature === 'number' ? request.temperature : 1,
    text: (request.text as Response['text']) ?? { format: { type: 'text' } },
    tool_choice: (request.tool_choice as Response['tool_choice']) ?? 'auto',
    tools: (request.tools as Response['tools']) ?? [],
    top_p: typeof request.top_p === 'number' ? request.top_p : 1,
    truncation: 'disabled',
    ...(fields.usage ? { usage: responseUsage(fields.usage) } : {}),
    ...(typeof request.user === 'string' ? { user: request.user } : {}),
  };
}

/** The id of a translated response, from the chat completion's. */
export const responseIdOf = (chatId: string, fallback: string) => `resp_${chatId || fallback}`;
