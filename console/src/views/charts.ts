import { html } from 'hono/html'

/**
 * Server-rendered SVG charts: no chart library, nothing fetched from elsewhere. Labels go
 * through `html` like any other text, so data can never become markup. Sizes are in viewBox
 * units; CSS makes the SVG fill its card.
 */

/** A 1-2-5 step so that four grid intervals cover `n` with whole, readable numbers. */
const niceStep = (n: number) => {
  const raw = Math.max(1, n / 4)
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!
}

/** Opened vs closed per day as paired columns, with a y grid and every few days labelled. */
export const dailyChart = (days: { day: string; opened: number; closed: number }[]) => {
  const W = 720
  const H = 220
  const L = 34
  const B = 22
  const T = 8
  const step = niceStep(Math.max(0, ...days.map((d) => Math.max(d.opened, d.closed))))
  const max = step * 4
  const slot = (W - L - 4) / Math.max(1, days.length)
  const bar = Math.max(2, Math.min(16, slot / 2 - 2))
  const y = (v: number) => T + (H - T - B) * (1 - v / max)
  const every = Math.ceil(days.length / 10)
  const grid = [0, 1, 2, 3, 4].map((i) => i * step)
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="daily-title">
  <title id="daily-title">Incidents opened and closed per day</title>
  ${grid.map((g) => html`<line class="grid" x1="${L}" x2="${W}" y1="${y(g)}" y2="${y(g)}"/><text class="axis" x="${L - 4}" y="${y(g) + 4}" text-anchor="end">${g}</text>`)}
  ${days.map((d, i) => {
    const x = L + i * slot + slot / 2
    return html`<g><title>${d.day}: ${d.opened} opened, ${d.closed} closed</title>
    <rect class="opened" x="${x - bar - 1}" y="${y(d.opened)}" width="${bar}" height="${H - B - y(d.opened)}"/>
    <rect class="closed" x="${x + 1}" y="${y(d.closed)}" width="${bar}" height="${H - B - y(d.closed)}"/>
    ${i % every === 0 ? html`<text class="axis" x="${x}" y="${H - 6}" text-anchor="middle">${d.day.slice(5)}</text>` : ''}</g>`
  })}
</svg>`
}

/** A ranked list as horizontal bars with the label and count written beside each. */
export const rankChart = (title: string, rows: { label: string; count: number }[]) => {
  if (rows.length === 0) return html`<p class="empty">No data in this period.</p>`
  const W = 360
  const row = 22
  const H = rows.length * row + 4
  const max = Math.max(...rows.map((r) => r.count))
  const barX = 150
  const barW = W - barX - 40
  return html`<svg class="chart rank" viewBox="0 0 ${W} ${H}" role="img" aria-label="${title}">
  ${rows.map((r, i) => {
    const w = Math.max(2, (r.count / max) * barW)
    const label = r.label.length > 24 ? `${r.label.slice(0, 23)}…` : r.label
    return html`<g><title>${r.label}: ${r.count}</title>
    <text class="label" x="${barX - 6}" y="${i * row + 15}" text-anchor="end">${label}</text>
    <rect class="opened" x="${barX}" y="${i * row + 4}" width="${w}" height="${row - 8}" rx="2"/>
    <text class="value" x="${barX + w + 4}" y="${i * row + 15}">${r.count}</text></g>`
  })}
</svg>`
}
