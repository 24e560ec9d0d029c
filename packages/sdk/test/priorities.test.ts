import { afterEach, describe, expect, it } from 'vitest';
import { edgeProfile, type Lab, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

describe('priorities', () => {
  it('under contention for a slot, interactive calls go before background ones', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 30 })], {}, () => ({
      maxConcurrency: 1,
    }));
    const order: string[] = [];
    const call = (name: string, priority: 'interactive' | 'background') =>
      lab.router.chat.completions
        .create(
          { messages: [{ role: 'user', content: name }], max_tokens: 2 },
          { route: { priority } },
        )
        .then(() => order.push(name));
    const blocker = call('blocker', 'background');
    await new Promise((r) => setTimeout(r, 5));
    const rest = [
      call('bg-1', 'background'),
      call('bg-2', 'background'),
      call('bg-3', 'background'),
      call('interactive', 'interactive'),
    ];
    await Promise.all([blocker, ...rest]);
    expect(order).toEqual(['blocker', 'interactive', 'bg-1', 'bg-2', 'bg-3']);
    expect(lab.mock.endpoint('edge-1').stats().maxInFlight).toBe(1);
  });
});
