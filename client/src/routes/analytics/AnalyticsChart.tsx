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
import { useEffect, useRef } from 'react';

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

/** Runs stacked by status with revenue on a second axis; or latency percentiles. */
export function AnalyticsChart({
  buckets,
  kind,
  label,
}: {
  buckets: ChartBucket[];
  kind: 'runs' | 'latency';
  label: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    const labels = buckets.map((bucket) => bucket.label);
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
            revenue: { position: 'right' as const, beginAtZero: true, grid: { display: false } },
          }
        : { y: { beginAtZero: true } };
    if (chart.current) {
      chart.current.data = { labels, datasets } as never;
      chart.current.update('none');
      return;
    }
    chart.current = new Chart(canvas.current, {
      data: { labels, datasets } as never,
      options: {
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { position: 'bottom' } },
        scales,
      },
    });
  }, [buckets, kind]);

  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = null;
    },
    [],
  );

  return (
    <div className="analytics-chart">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
