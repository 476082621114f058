import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { CollapsiblePanel } from './CollapsiblePanel.tsx';

describe('CollapsiblePanel', () => {
  it('is a disclosure, collapsed by default, that can render its body only while open', () => {
    render(
      <CollapsiblePanel className="publish" title="Publish a template" unmountWhenCollapsed>
        <p>The form</p>
      </CollapsiblePanel>,
    );
    const toggle = screen.getByRole('button', { name: 'Publish a template' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByText('The form')).toBeNull();
    expect(screen.queryByRole('region')).toBeNull();

    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(document.getElementById(toggle.getAttribute('aria-controls') ?? '')?.hidden).toBe(false);
    expect(screen.getByText('The form')).toBeTruthy();
  });

  it('keeps its body mounted while hidden, and can be a region named by its heading', () => {
    render(
      <CollapsiblePanel className="history" title="History" defaultExpanded labelledByTitle>
        <p>Rows</p>
      </CollapsiblePanel>,
    );
    expect(screen.getByRole('region', { name: 'History' }).className).toBe('panel history');
    fireEvent.click(screen.getByRole('button', { name: 'History' }));
    expect(screen.getByText('Rows').parentElement?.hidden).toBe(true);
  });
});
