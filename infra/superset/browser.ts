import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, Response } from 'playwright-core';
import { NonRetryableError, OraculError } from '../../core/errors.ts';

/**
 * Renders dashboards in a real headless Chromium (Debian's `chromium`, driven by playwright-core with
 * `executablePath`: no browser download) the way an analyst opens them: log in through the login form, open the
 * dashboard, wait until every chart has rendered, fail on any chart error, save a PNG.
 */

export interface DashboardToCapture {
  readonly slug: string;
  readonly title: string;
  /** Charts placed on the dashboard (from its position JSON). */
  readonly chartCount: number;
}

export interface CaptureParameters {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly dashboards: readonly DashboardToCapture[];
  /** PNGs go to `<outDir>/<slug>.png`. */
  readonly outDir: string;
  /** Per dashboard (default 120 s). */
  readonly timeoutMs?: number;
  readonly executablePath?: string;
}

export interface CaptureResult {
  readonly slug: string;
  readonly file: string;
  /** Charts found rendered on the page. */
  readonly renderedCharts: number;
  /** Chart data requests the page made, and their outcome. */
  readonly dataRequests: number;
}

export class DashboardRenderError extends OraculError {
  readonly code = 'ORACUL_SUPERSET_DASHBOARD_RENDER_FAILED';
  readonly retryable = false;
}

export function chromiumPath(explicit?: string): string {
  const candidates = [explicit, process.env.ORACUL_CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined)
    throw new NonRetryableError(
      'ORACUL_SUPERSET_BROWSER_MISSING',
      'no Chromium found (apt-get install chromium; scripts/install-system-deps.sh does it, or set ORACUL_CHROMIUM_PATH)',
    );
  return found;
}

const QUIET_MS = 3_000;
const APPLY_FILTERS_LABEL = 'Apply filters';
const CHART_SELECTOR = '.dashboard-component-chart-holder';
const ERROR_SELECTOR = [
  '.dashboard-component-chart-holder [data-test="error-tooltip"]',
  '.dashboard-component-chart-holder .ant-alert-error',
  '.dashboard-component-chart-holder [role="alert"]',
].join(', ');
const LOADING_SELECTOR = '.dashboard-component-chart-holder .loading, .dashboard-component-chart-holder [aria-label="Loading"]';
const RENDERED_SELECTOR =
  '.dashboard-component-chart-holder :is(canvas, svg, table, .superset-legacy-chart-big-number, .big_number_total, [data-test="big-number"])';

export async function captureDashboards(p: CaptureParameters): Promise<CaptureResult[]> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath(p.executablePath),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  const results: CaptureResult[] = [];
  try {
    const context = await browser.newContext({
      viewport: { width: 1600, height: 1100 },
      deviceScaleFactor: 1,
      timezoneId: 'UTC',
    });
    const page = await context.newPage();
    const timeoutMs = p.timeoutMs ?? 120_000;
    page.setDefaultTimeout(timeoutMs);

    await page.goto(`${p.baseUrl}/login/`);
    await page.fill('#username', p.username);
    await page.fill('#password', p.password);
    await Promise.all([
      page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 60_000 }),
      page.click('button[type="submit"]'),
    ]);

    await mkdir(p.outDir, { recursive: true });
    for (const dashboard of p.dashboards) {
      const failures: string[] = [];
      let dataRequests = 0;
      let pending = 0;
      let lastActivity = Date.now();
      const onRequest = (request: Request): void => {
        if (!request.url().includes('/api/v1/chart/data')) return;
        pending += 1;
        lastActivity = Date.now();
      };
      const onResponse = async (response: Response): Promise<void> => {
        if (!response.url().includes('/api/v1/chart/data')) return;
        dataRequests += 1;
        pending = Math.max(0, pending - 1);
        lastActivity = Date.now();
        if (response.status() >= 400)
          failures.push(`chart data request ${response.status()}: ${(await response.text().catch(() => '')).slice(0, 300)}`);
      };
      page.on('request', onRequest);
      page.on('response', onResponse);
      try {
        await page.goto(`${p.baseUrl}/superset/dashboard/${dashboard.slug}/?standalone=1`);
        const deadline = Date.now() + timeoutMs;
        let rendered = 0;
        let appliedFilters = false;
        for (;;) {
          const holders = await page.locator(CHART_SELECTOR).count();
          const loading = await page.locator(LOADING_SELECTOR).count();
          const errors = await page.locator(ERROR_SELECTOR).allInnerTexts();
          rendered = await page.evaluate(
            ({ holder, content }) =>
              Array.from(document.querySelectorAll(holder)).filter(
                (h) => h.querySelector(content.replace(`${holder} `, '')) !== null,
              ).length,
            { holder: CHART_SELECTOR, content: RENDERED_SELECTOR },
          );
          if (errors.length > 0) failures.push(...errors.map((e) => `chart error: ${e.slice(0, 300)}`));
          if (failures.length > 0) break;
          // Done when every chart shows content and no data request has been in flight for a while: native
          // filters apply their default after the first render and the charts query again.
          const quiet = pending === 0 && Date.now() - lastActivity > QUIET_MS;
          if (holders >= dashboard.chartCount && loading === 0 && rendered >= dashboard.chartCount && quiet) {
            // A select filter with "default to first item" fills in its value after loading but, in Superset 6.0,
            // leaves it pending: apply it once like a user would, then wait for the charts again.
            const apply = page.getByRole('button', { name: APPLY_FILTERS_LABEL });
            if (!appliedFilters && (await apply.count()) > 0 && (await apply.first().isEnabled())) {
              appliedFilters = true;
              await apply.first().click();
              lastActivity = Date.now();
              continue;
            }
            break;
          }
          if (Date.now() > deadline) {
            failures.push(
              `timed out: ${rendered}/${dashboard.chartCount} charts rendered, ${loading} still loading, ${holders} on the page`,
            );
            break;
          }
          await page.waitForTimeout(500);
        }
        if (failures.length > 0)
          throw new DashboardRenderError(
            `dashboard "${dashboard.title}" (${dashboard.slug}) did not render: ${failures.join('; ')}`,
            {
              details: { slug: dashboard.slug, failures },
            },
          );
        // Let animations (ECharts) settle before the picture.
        await page.waitForTimeout(1_500);
        const file = join(p.outDir, `${dashboard.slug}.png`);
        await page.screenshot({ path: file, fullPage: true });
        results.push({ slug: dashboard.slug, file, renderedCharts: rendered, dataRequests });
      } finally {
        page.off('request', onRequest);
        page.off('response', onResponse);
      }
    }
    await context.close();
  } finally {
    await browser.close();
  }
  return results;
}
