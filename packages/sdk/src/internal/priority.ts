import { InvalidRequestError } from '../errors.js';

const NAMED = { interactive: 10, background: -10 } as const;

/** `route.priority` as a p-queue priority: `'interactive'` 10, `'background'` -10, numbers as given. */
export function priorityValue(priority: 'interactive' | 'background' | number | undefined): number {
  if (priority === undefined) return 0;
  if (typeof priority === 'number' && Number.isFinite(priority)) return priority;
  if (priority === 'interactive' || priority === 'background') return NAMED[priority];
  throw new InvalidRequestError(
    `Failed to route the call: \`route.priority\` must be 'interactive', 'background' or a number, got ${typeof priority === 'string' ? JSON.stringify(priority) : String(priority)}`,
    'route.priority',
  );
}
