import { type ReactNode, useId, useState } from 'react';

interface Props {
  /** Added to `panel`, for the section's own styles. */
  className: string;
  /** The toggle button's content: the heading. */
  title: ReactNode;
  defaultExpanded?: boolean;
  /** Names the section by its heading, which makes it a landmark region. */
  labelledByTitle?: boolean;
  /** Renders the body only while expanded, so it starts afresh each time it opens. */
  unmountWhenCollapsed?: boolean;
  children: ReactNode;
}

/** A section whose heading is a disclosure button (aria-expanded) that hides and shows its body. */
export function CollapsiblePanel({
  className,
  title,
  defaultExpanded = false,
  labelledByTitle = false,
  unmountWhenCollapsed = false,
  children,
}: Props) {
  const [expanded, setExpanded] = useState(defaultExpanded);
  const bodyId = useId();
  const titleId = labelledByTitle ? `${bodyId}-title` : undefined;
  return (
    <section className={`panel ${className}`} aria-labelledby={titleId}>
      <h2 className="panel__heading" id={titleId}>
        <button
          type="button"
          className="panel__toggle"
          aria-expanded={expanded}
          aria-controls={bodyId}
          onClick={() => setExpanded((value) => !value)}
        >
          <span className="panel__chevron" aria-hidden="true" />
          {title}
        </button>
      </h2>
      <div className="panel__body" id={bodyId} hidden={!expanded}>
        {(expanded || !unmountWhenCollapsed) && children}
      </div>
    </section>
  );
}
