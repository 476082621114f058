import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { execution } from '../test/factories.ts';
import { renderPage, runMock } from '../test/templatePage.tsx';
import { missingRequired } from './RunTemplateForm.tsx';

describe('RunTemplateForm', () => {
  it('builds the form from the declared variables, marking the required ones', async () => {
    await renderPage();
    const product = screen.getByLabelText(/^product/);
    const tone = screen.getByLabelText(/^tone/);
    expect(product.hasAttribute('required')).toBe(true);
    expect(tone.hasAttribute('required')).toBe(false);
    expect(tone.getAttribute('placeholder')).toBe('warm');
    expect(screen.getByText('Product name').id).toBe(product.getAttribute('aria-describedby'));
  });

  it('validates required variables before sending anything', async () => {
    const { requests } = await renderPage();
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const product = screen.getByLabelText(/^product/);
    expect(product.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Enter a value for product.')).toBeTruthy();
    expect(document.activeElement).toBe(product);
    expect(requests).not.toContain('RunTemplateStream');
  });

  it('sends the filled-in variables, shows the busy state, then the output', async () => {
    await renderPage([
      runMock(
        { product: 'Lamp' },
        {
          data: {
            executeTemplate: {
              __typename: 'ExecuteTemplatePayload',
              output: 'A warm little lamp.',
              execution: execution('E1'),
            },
          },
        },
      ),
    ]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const busy = screen.getByRole('button', { name: 'Running…' }) as HTMLButtonElement;
    expect(busy.disabled).toBe(true);
    const output = await screen.findByRole('region', { name: 'Output' });
    expect(output.textContent).toContain('A warm little lamp.');
  });

  it("shows a failed run's error", async () => {
    await renderPage([
      runMock(
        { product: 'Lamp' },
        {
          data: {
            executeTemplate: {
              __typename: 'ExecuteTemplatePayload',
              output: null,
              execution: execution('E1', { status: 'FAILED', errorMessage: 'overloaded' }),
            },
          },
        },
      ),
    ]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The run failed.');
    expect(alert.textContent).toContain('overloaded');
  });
});

describe('missingRequired', () => {
  const variables = [
    { name: 'a', required: true },
    { name: 'b', required: false },
  ];
  it('lists required variables that are blank or whitespace', () => {
    expect(missingRequired(variables, {})).toEqual(['a']);
    expect(missingRequired(variables, { a: '   ' })).toEqual(['a']);
    expect(missingRequired(variables, { a: 'x' })).toEqual([]);
  });
});
