import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TemplateWeekQuery, YourTemplatesQuery } from '../templates/YourTemplates.tsx';
import { renderWithApollo } from '../test/renderWithApollo.tsx';
import { inTimeZone } from '../test/timeZone.ts';
import { TemplatesPage, TemplatesPageQuery } from './TemplatesPage.tsx';

const TIME_ZONE = 'Europe/Berlin';
inTimeZone(TIME_ZONE);
afterEach(() => vi.restoreAllMocks());

const owned = [
  { __typename: 'Template' as const, id: 'VGVtcGxhdGU6MQ==', name: 'Explain like I am five' },
  { __typename: 'Template' as const, id: 'VGVtcGxhdGU6Mg==', name: 'Product description writer' },
];

/** A week of daily buckets in Berlin (UTC+1 in November) with these runs per day. */
function week(runsPerDay: number[], revenueUsdc: string) {
  return {
    __typename: 'TemplateAnalytics' as const,
    totals: {
      __typename: 'AnalyticsTotals' as const,
      runs: runsPerDay.reduce((sum, runs) => sum + runs, 0),
      revenueUsdc,
    },
    buckets: runsPerDay.map((runs, day) => ({
      __typename: 'AnalyticsBucket' as const,
      // Berlin's midnight: 23:00Z the day before.
      start: new Date(Date.UTC(2026, 10, 1 + day) - 3_600_000).toISOString(),
      runs,
    })),
  };
}

function mocks(weeks: Array<ReturnType<typeof week>>) {
  return [
    {
      request: { query: TemplatesPageQuery, variables: { first: 20 } },
      result: {
        data: {
          templates: {
            __typename: 'TemplateConnection',
            edges: [],
            pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
          },
        },
      },
    },
    {
      request: { query: YourTemplatesQuery },
      result: { data: { ownedTemplates: owned } },
    },
    ...owned.map((template, index) => ({
      request: {
        query: TemplateWeekQuery,
        variables: { templateId: template.id, timeZone: TIME_ZONE },
      },
      result: { data: { templateAnalytics: weeks[index] } },
    })),
  ];
}

async function yourTemplates() {
  const region = await screen.findByRole('region', { name: 'Your templates' });
  await vi.waitFor(() => expect(within(region).queryByText('Loading…')).toBeNull());
  return within(region)
    .getAllByRole('listitem')
    .map((row) => ({
      link: within(row).getByRole('link').getAttribute('href'),
      text: row.textContent,
      sparkline: within(row).getByRole('img').getAttribute('aria-label'),
    }));
}

describe('TemplatesPage: Your templates', () => {
  it("shows each owned template's runs and revenue over the last 7 days, with a sparkline", async () => {
    renderWithApollo(<TemplatesPage />, {
      mocks: mocks([week([0, 1, 2, 0, 0, 4, 5], '0'), week([3, 0, 0, 0, 0, 0, 31], '0.34')]),
    });
    expect(await yourTemplates()).toEqual([
      {
        link: '/templates/VGVtcGxhdGU6MQ%3D%3D/analytics',
        text: 'Explain like I am five12 runs · 0 USDC',
        sparkline: 'Runs per day over the last 7 days: 0, 1, 2, 0, 0, 4, 5',
      },
      {
        link: '/templates/VGVtcGxhdGU6Mg%3D%3D/analytics',
        text: 'Product description writer34 runs · 0.34 USDC',
        sparkline: 'Runs per day over the last 7 days: 3, 0, 0, 0, 0, 0, 31',
      },
    ]);
  });

  it("writes the numbers in the viewer's locale", async () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['de-DE']);
    renderWithApollo(<TemplatesPage />, {
      mocks: mocks([week([0, 0, 0, 0, 0, 0, 1234], '1234.5'), week([], '0')]),
    });
    const [first, second] = await yourTemplates();
    expect(first?.text).toBe('Explain like I am five1.234 runs · 1.234,5 USDC');
    expect(first?.sparkline).toBe('Runs per day over the last 7 days: 0, 0, 0, 0, 0, 0, 1.234');
    expect(second?.text).toBe('Product description writer0 runs · 0 USDC');
  });

  it('is not shown to a visitor who is not signed in', async () => {
    renderWithApollo(<TemplatesPage />, { mocks: mocks([]), signedIn: false });
    expect(await screen.findByText('No templates yet. Publish the first one.')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Your templates' })).toBeNull();
  });
});
