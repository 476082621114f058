import { describe, expect, it } from 'vitest';
import {
  checkDeclaredVariables,
  placeholders,
  renderPrompt,
  type TemplateVariable,
} from '../src/templates/variables.ts';

const variable = (
  name: string,
  required = true,
  fallback: string | null = null,
): TemplateVariable => ({
  name,
  description: '',
  required,
  default: fallback,
});

const declared = [variable('topic'), variable('tone', false, 'plain')];
const prompt = 'Write about {{topic}} in a {{ tone }} voice. Again: {{topic}}.';

function codeOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    return { code: (error as any).extensions?.code, message: (error as Error).message };
  }
  return null;
}

describe('template variables', () => {
  it('finds placeholders once each, in order, with or without spaces', () => {
    expect(placeholders(prompt)).toEqual(['topic', 'tone']);
  });

  it('renders given values and defaults', () => {
    expect(renderPrompt(prompt, declared, { topic: 'tides' })).toBe(
      'Write about tides in a plain voice. Again: tides.',
    );
    expect(renderPrompt(prompt, declared, { topic: 42, tone: true })).toBe(
      'Write about 42 in a true voice. Again: 42.',
    );
  });

  it('never expands placeholders inside values', () => {
    expect(renderPrompt(prompt, declared, { topic: '{{tone}}', tone: 'dry' })).toBe(
      'Write about {{tone}} in a dry voice. Again: {{tone}}.',
    );
  });

  it('names missing required and unknown variables', () => {
    expect(codeOf(() => renderPrompt(prompt, declared, {}))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'Missing required variables: topic',
    });
    expect(
      codeOf(() => renderPrompt(prompt, declared, { topic: 'x', mood: 'y', colour: 'z' })),
    ).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'Unknown variables: mood, colour',
    });
  });

  it('rejects values that are not scalars, and inputs that are not objects', () => {
    expect(codeOf(() => renderPrompt(prompt, declared, { topic: { nested: 1 } }))?.code).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(() => renderPrompt(prompt, declared, ['tides']))?.code).toBe('BAD_USER_INPUT');
    expect(
      codeOf(() => renderPrompt(prompt, declared, { topic: 'x'.repeat(20_001) }))?.message,
    ).toMatch(/20000/);
  });

  it('checks a declaration against its prompt', () => {
    expect(codeOf(() => checkDeclaredVariables(prompt, declared))).toBeNull();
    expect(codeOf(() => checkDeclaredVariables(prompt, [variable('topic')]))?.message).toBe(
      'The prompt uses undeclared variables: tone',
    );
    expect(
      codeOf(() => checkDeclaredVariables('x', [variable('a'), variable('a')]))?.message,
    ).toMatch(/twice/);
    expect(codeOf(() => checkDeclaredVariables('x', [variable('1bad')]))?.code).toBe(
      'BAD_USER_INPUT',
    );
  });
});
