import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef, useState } from 'react';

// Only what these charts draw: Chart.js tree-shakes the rest away.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export interface ChartBucket {
  /** The bucket's start (ISO): a DST change can repeat a local hour's label, never this. */
  start: string;
  /** The bucket's start, formatted for the viewer (its row header in the table). */
  label: string;
  succeeded: number;
  failed: number;
  running: number;
  revenue: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

const COLORS = {
  succeeded: '#2e7d32',
  failed: '#c62828',
  running: '#f9a825',
  revenue: '#1565c0',
};

/**
 * Runs stacked by status with revenue on a second axis (left out while there is none); or latency
 * percentiles. The canvas is a picture for the eye; screen readers get the same numbers as a table.
 */
export function AnalyticsChart({
  buckets,
  kind,
  label,
  locale,
}: {
  buckets: ChartBucket[];
  kind: 'runs' | 'latency';
  label: string;
  /** The viewer's locale, for the axes' numbers and the table. */
  locale: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  const hasRevenue = buckets.some((bucket) => bucket.revenue > 0);
  // A browser that will not draw (canvas blocked or unsupported) shows the table instead.
  const [cannotDraw, setCannotDraw] = useState(false);

  useEffect(() => {
    if (!canvas.current || cannotDraw) return;
    if (!chart.current && !canvas.current.getContext('2d')) {
      setCannotDraw(true);
      return;
    }
    const labels = buckets.map((bucket) => bucket.label);
    const revenueLine = hasRevenue
      ? [
          {
            type: 'line' as const,
            label: 'revenue (USDC)',
            data: buckets.map((bucket) => bucket.revenue),
            borderColor: COLORS.revenue,
            backgroundColor: COLORS.revenue,
            yAxisID: 'revenue',
            pointRadius: 0,
          },
        ]
      : [];
    const datasets =
      kind === 'runs'
        ? [
            ...(['succeeded', 'failed', 'running'] as const).map((status) => ({
              type: 'bar' as const,
              label: status,
              data: buckets.map((bucket) => bucket[status]),
              backgroundColor: COLORS[status],
              stack: 'runs',
              yAxisID: 'y',
            })),
            ...revenueLine,
          ]
        : (['p50', 'p95', 'p99'] as const).map((name, index) => ({
            type: 'line' as const,
            label: `${name} ms`,
            data: buckets.map((bucket) => bucket[name]),
            borderColor: ['#1565c0', '#ef6c00', '#6a1b9a'][index],
            backgroundColor: ['#1565c0', '#ef6c00', '#6a1b9a'][index],
            spanGaps: true,
            pointRadius: 2,
            yAxisID: 'y',
          }));
    const scales =
      kind === 'runs'
        ? {
            x: { stacked: true },
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
            ...(hasRevenue && {
              revenue: { position: 'right' as const, beginAtZero: true, grid: { display: false } },
            }),
          }
        : { y: { beginAtZero: true } };
    if (chart.current) {
      chart.current.data = { labels, datasets } as never;
      chart.current.options.scales = scales;
      chart.current.update('none');
      return;
    }
    chart.current = new Chart(canvas.current, {
      data: { labels, datasets } as never,
      options: {
        locale,
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { position: 'bottom' } },
        scales,
      },
    });
  }, [buckets, kind, hasRevenue, locale, cannotDraw]);

  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = null;
    },
    [],
  );

  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 });
  const cell = (value: number | null) => (value === null ? '–' : number.format(value));
  return (
    <figure className="analytics-chart">
      <div className="analytics-chart__canvas" aria-hidden="true" hidden={cannotDraw}>
        <canvas ref={canvas} />
      </div>
      {/* A table lays out no narrower than its content: a box of its own keeps it hidden. */}
      <div className={cannotDraw ? 'table-scroll' : 'visually-hidden'}>
        <table className="data-table">
          <caption>{label}</caption>
          <thead>
            <tr>
              <th scope="col">Period</th>
              {kind === 'runs' ? (
                <>
                  <th scope="col">Succeeded</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Running</th>
                  <th scope="col">Revenue (USDC)</th>
                </>
              ) : (
                <>
                  <th scope="col">p50 (ms)</th>
                  <th scope="col">p95 (ms)</th>
                  <th scope="col">p99 (ms)</th>
                </>
              )}
            </tr>
          </thead>
          <tbody>
            {buckets.map((bucket) => (
              <tr key={bucket.start}>
                <th scope="row">{bucket.label}</th>
                {kind === 'runs' ? (
                  <>
                    <td>{cell(bucket.succeeded)}</td>
                    <td>{cell(bucket.failed)}</td>
                    <td>{cell(bucket.running)}</td>
                    <td>{cell(bucket.revenue)}</td>
                  </>
                ) : (
                  <>
                    <td>{cell(bucket.p50)}</td>
                    <td>{cell(bucket.p95)}</td>
                    <td>{cell(bucket.p99)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
