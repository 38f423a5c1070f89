// The page's script (index.html): counts page views and clicks, renders the exposition
// and pushes it to a Pushgateway on another origin.
//
// The Pushgateway sends no CORS headers, so a page can only push with `mode: 'no-cors'`:
// a POST (`pushAdd`) that the browser sends without a preflight, whose answer it then
// hides. The status line below says "sent" for that reason: the page cannot know whether
// the gateway took the metrics, only that it could be reached.
import { Registry, Counter, Histogram, Pushgateway } from 'fastprom';

const gatewayUrl = new URLSearchParams(location.search).get('gateway') ?? 'http://127.0.0.1:9091';
// Each tab has its own counts, so each pushes to its own group.
const tab = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');

const registry = new Registry();
const views = new Counter({ name: 'page_views', help: 'Page loads.', registers: [registry] });
const clicks = new Counter({ name: 'page_clicks', help: 'Clicks on the button.', registers: [registry] });
const ready = new Histogram({
  name: 'page_ready_seconds',
  help: 'From navigation start to the metrics being ready.',
  buckets: [0.1, 0.5, 1, 5],
  registers: [registry],
});
// keepalive: a push started as the tab closes still goes out.
const gateway = new Pushgateway(gatewayUrl, { mode: 'no-cors', keepalive: true, timeout: 5000 }, registry);

const $ = (id) => document.getElementById(id);

async function render() {
  $('metrics').textContent = await registry.metrics();
}

async function push() {
  try {
    await gateway.pushAdd({ jobName: 'example_browser', groupings: { tab } });
    $('status').textContent = `sent to ${gatewayUrl} (the browser hides the gateway's answer)`;
  } catch (err) {
    $('status').textContent = `not sent: ${err.code}: ${err.message}`;
  }
}

views.inc();
ready.observe(performance.now() / 1000);
$('tab').textContent = tab;
$('gateway').textContent = gatewayUrl;
$('click').addEventListener('click', () => {
  clicks.inc();
  render();
});
$('push').addEventListener('click', push);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') push();
});
await render();
document.body.dataset.ready = 'true';
