import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from './usage-data.ts';

const PALETTE = ['#2f6fde', '#d9485f', '#1f9d6b', '#c98a12', '#8a5cd6', '#15a3b8', '#d0652a', '#6b7a8f'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function toTime(bucket: string): number {
  return Date.parse(bucket.length === 7 ? `${bucket}-01T00:00:00Z` : `${bucket}T00:00:00Z`) / 1000;
}

/** A uPlot line chart of one metric per group over time (the table beside it carries the numbers). */
export function UsageChart({ series, label }: { series: Series; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const text = cssVar('--fg', '#222');
    const grid = cssVar('--border', '#ddd');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const width = Math.max(280, element.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 280,
        scales: { x: { time: true } },
        axes: [axis, { ...axis, size: 60 }],
        legend: { show: true },
        series: [
          {},
          ...series.groups.map((group, index) => ({
            label: group,
            stroke: PALETTE[index % PALETTE.length] ?? '#2f6fde',
            width: 2,
            points: { show: true },
          })),
        ],
      },
      [series.buckets.map(toTime), ...series.values],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, element.clientWidth), height: 280 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series]);
  return <div ref={host} class="chart" role="img" aria-label={label} />;
}
