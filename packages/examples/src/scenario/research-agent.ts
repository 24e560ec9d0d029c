import { type RouterChatParamsStreaming, type RouterStream, TieredError } from '@tiered/sdk';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { AgentClient } from './agent-client.js';
import type { ResearchTask } from './research-tasks.js';

/** The three kinds of call the agent makes. */
export type CallKind = 'planner' | 'sub-agent' | 'synthesis';

/** A phase of the agent: what it is about to do. */
export interface AgentPhase {
  /** 1-based task number. */
  readonly task: number;
  readonly taskCount: number;
  readonly title: string;
  readonly kind: CallKind;
  /** Calls in this phase. */
  readonly calls: number;
}

/** What became of one call: answered (by which tier, when the API says), or a typed error. */
export type CallRecord =
  | {
      readonly task: number;
      readonly kind: CallKind;
      readonly outcome: 'answered';
      /** Known for streams (`RouterStream.tier`); a `ChatCompletion` does not say who served it. */
      readonly tier: string | undefined;
      readonly endpointId: string | undefined;
    }
  | {
      readonly task: number;
      readonly kind: CallKind;
      readonly outcome: 'failed';
      /** The `TieredError` code, or `'untyped'` for anything else (a bug). */
      readonly errorCode: string;
    };

/** What the agent takes. */
export interface ResearchAgentOptions {
  readonly tasks: readonly ResearchTask[];
  /** One client per task (a session, when the SDK has them). */
  readonly clientFor: (task: number) => AgentClient;
  /** Sub-agent calls in flight at once. @default 8 */
  readonly concurrency?: number | undefined;
  readonly onPhase?: ((phase: AgentPhase) => void) | undefined;
}

/** How many calls the agent will make for these tasks. */
export function plannedCalls(tasks: readonly ResearchTask[]): number {
  return tasks.reduce((n, t) => n + t.angles.length + 2, 0);
}

const PLANNER_SYSTEM =
  'You are the planner of a research agent. Split the question into independent sub-questions, one per line, each answerable from a short search.';

// Long and identical for every sub-agent: the prefix an edge's cache keeps warm.
const SUBAGENT_SYSTEM = [
  'You are a research sub-agent. Answer one narrow sub-question in two or three factual sentences.',
  'Cite the kind of source you would check (statistics office, peer-reviewed study, trade body, news report).',
  'Say plainly when evidence is thin or contested. Do not speculate beyond the sub-question.',
  'Prefer numbers with units and years. Prefer primary sources over summaries of them.',
  'Keep the answer under sixty words: the synthesis step reads many of these at once.',
].join(' ');

const SYNTHESIS_SYSTEM =
  'You are the lead researcher. Read the source pack and the sub-agent findings, resolve contradictions, and write a short report with the three most important conclusions.';

const PLANNER_MAX_TOKENS = 48;
const SUBAGENT_MAX_TOKENS = 32;
const SYNTHESIS_MAX_TOKENS = 32;
/** Characters of source material the synthesis reads: ~9,500 tokens, more than an edge's 8k window. */
const SOURCE_PACK_CHARS = 38_000;

/**
 * A research agent: for each task a planner call (streamed), a fan-out of sub-agent calls with short
 * contexts, and a synthesis call (streamed) over a long source pack, which only the origin's window
 * fits. Every call ends up in the returned records, answered or with its typed error: the agent
 * keeps going when a call fails, as a production agent would.
 */
export async function runResearchAgent(options: ResearchAgentOptions): Promise<CallRecord[]> {
  const { tasks, onPhase } = options;
  const records: CallRecord[] = [];
  for (const [i, task] of tasks.entries()) {
    const n = i + 1;
    const client = options.clientFor(n);
    const phase = (kind: CallKind, calls: number) =>
      onPhase?.({ task: n, taskCount: tasks.length, title: task.title, kind, calls });

    phase('planner', 1);
    const plan = await streamText(client, n, 'planner', records, {
      messages: [
        { role: 'system', content: PLANNER_SYSTEM },
        { role: 'user', content: `Question: ${task.title}\nAngles: ${task.angles.join(', ')}` },
      ],
      max_tokens: PLANNER_MAX_TOKENS,
    });

    phase('sub-agent', task.angles.length);
    const settled = await client.batch(
      task.angles.map((angle) => ({
        messages: [
          { role: 'system', content: SUBAGENT_SYSTEM },
          {
            role: 'user',
            content: `Research question: ${task.title}\nPlan: ${plan ?? '(planner failed)'}\nSub-question: what does the evidence say about ${angle}?`,
          },
        ],
        max_tokens: SUBAGENT_MAX_TOKENS,
      })),
      { concurrency: options.concurrency ?? 8 },
    );
    const findings: string[] = [];
    for (const [j, result] of settled.entries()) {
      if (result.status === 'fulfilled') {
        findings.push(`- ${task.angles[j]}: ${contentOf(result.value)}`);
        records.push({
          task: n,
          kind: 'sub-agent',
          outcome: 'answered',
          tier: undefined,
          endpointId: undefined,
        });
      } else {
        findings.push(`- ${task.angles[j]}: (no finding: ${errorCode(result.reason)})`);
        records.push({
          task: n,
          kind: 'sub-agent',
          outcome: 'failed',
          errorCode: errorCode(result.reason),
        });
      }
    }

    phase('synthesis', 1);
    await streamText(client, n, 'synthesis', records, {
      messages: [
        { role: 'system', content: SYNTHESIS_SYSTEM },
        {
          role: 'user',
          content: `Question: ${task.title}\n\nSource pack:\n${sourcePack(task, SOURCE_PACK_CHARS)}\n\nFindings:\n${findings.join('\n')}`,
        },
      ],
      max_tokens: SYNTHESIS_MAX_TOKENS,
    });
  }
  return records;
}

/** One streamed call, read to the end; its record is appended. Resolves to the text, or undefined. */
async function streamText(
  client: AgentClient,
  task: number,
  kind: CallKind,
  records: CallRecord[],
  body: Omit<RouterChatParamsStreaming, 'stream'>,
): Promise<string | undefined> {
  let stream: RouterStream | undefined;
  try {
    stream = await client.chat.completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    records.push({
      task,
      kind,
      outcome: 'answered',
      tier: stream.tier,
      endpointId: stream.endpointId,
    });
    return text;
  } catch (error) {
    records.push({ task, kind, outcome: 'failed', errorCode: errorCode(error) });
    return undefined;
  }
}

function contentOf(completion: ChatCompletion): string {
  return completion.choices[0]?.message.content ?? '';
}

function errorCode(error: unknown): string {
  return TieredError.isInstance(error) ? error.code : 'untyped';
}

/** Deterministic stand-in documents for a task, about `chars` characters long. */
function sourcePack(task: ResearchTask, chars: number): string {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const angle = task.angles[i % task.angles.length];
    const line = `[doc ${i + 1}] On ${angle} (${task.title}): survey wave ${1 + (i % 7)} reports figure ${(i * 37) % 101} with a confidence band of ${(i * 13) % 17} points; the authors note regional variation and a revision of the ${2015 + (i % 9)} baseline.`;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}
