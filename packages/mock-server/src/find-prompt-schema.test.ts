import { describe, expect, it } from 'vitest';
import { findPromptSchema } from './find-prompt-schema.js';

const schema = { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] };

describe('findPromptSchema', () => {
  it('finds a JSON object with properties in the prose of a system or user message', () => {
    expect(
      findPromptSchema([
        { role: 'system', content: `Reply in JSON. Schema: ${JSON.stringify(schema)} Thanks.` },
        { role: 'user', content: 'Name a book.' },
      ]),
    ).toEqual(schema);
    const parts = [{ type: 'text', text: `Use this format:\n${JSON.stringify(schema, null, 2)}` }];
    expect(findPromptSchema([{ role: 'user', content: parts }])).toEqual(schema);
  });

  it('looks inside wrappers and past braces that are not JSON', () => {
    const wrapped = { name: 'book', strict: true, schema };
    expect(
      findPromptSchema([
        {
          role: 'user',
          content: `Not JSON: {"answer": string} {oops. Then ${JSON.stringify(wrapped)}`,
        },
      ]),
    ).toEqual(schema);
    const braces = `${'{'.repeat(10)} "a": "}" ${JSON.stringify(schema)}`;
    expect(findPromptSchema([{ role: 'user', content: braces }])).toEqual(schema);
  });

  it('prefers the latest message and ignores assistant and tool messages', () => {
    const older = { type: 'object', properties: { old: { type: 'string' } } };
    expect(
      findPromptSchema([
        { role: 'system', content: JSON.stringify(older) },
        { role: 'user', content: JSON.stringify(schema) },
        { role: 'assistant', content: JSON.stringify({ properties: { no: {} } }) },
        { role: 'tool', content: JSON.stringify({ properties: { no: {} } }) },
      ]),
    ).toEqual(schema);
  });

  it('finds nothing in a prompt that shows no schema', () => {
    expect(
      findPromptSchema([{ role: 'user', content: 'Reply as JSON {"answer": string}.' }]),
    ).toBeUndefined();
    expect(findPromptSchema([{ role: 'user', content: '{"answer": "x"}' }])).toBeUndefined();
  });
});
