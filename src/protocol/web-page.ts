/**
 * The web chat's page: the HTML shell that loads the bundle of web/chat.ts, and the config embedded
 * in it (`WebConfig`). The shell's element ids are what the bundle fills in, so every server that
 * serves the page (the core at `/`, the lab with fault controls) builds it with `chatPageHtml`, and
 * serves the bundle (`WEB_BUNDLE_PATH`, built by `make build`) at the page's script path.
 */
import { WebConfig } from './web.js';

/** Where the page loads its script from, by default, on the server that serves it. */
export const CHAT_SCRIPT_PATH = '/app.js';
/** The bundle's file, from the repository's root (built by `make build`; the core serves it at `CHAT_SCRIPT_PATH`). */
export const WEB_BUNDLE_PATH = 'dist/web/chat.js';

/** JSON that is safe inside a <script> element (no `</script>`, no `<!--`, no line separators that end a JS string). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const STYLE = `
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#f5f5f7}
header{display:flex;gap:1em;align-items:baseline;padding:.6em 1em;background:#1d1d1f;color:#f5f5f7;flex-wrap:wrap}
header h1{font-size:1.1em;margin:0}
#conn-state{font-family:ui-monospace,monospace;font-size:.9em;padding:.1em .5em;border-radius:.3em;background:#555}
#conn-state[data-state=connected]{background:#1e7a34}
#conn-state[data-state=reconnecting]{background:#a15c00}
#notice{color:#ffcf70}
main{display:grid;grid-template-columns:12em minmax(20em,1fr) minmax(26em,36em);gap:1em;padding:1em;align-items:start}
section{background:#fff;border:1px solid #d2d2d7;border-radius:.5em;padding:.7em}
h2{font-size:1em;margin:0 0 .5em}
#rooms{list-style:none;margin:0 0 .5em;padding:0}
#rooms button{width:100%;text-align:left;border:0;background:none;padding:.3em .4em;border-radius:.3em;cursor:pointer;font:inherit}
#rooms button[aria-current=true]{background:#e8e8ed;font-weight:600}
.unread{float:right;background:#0a66c2;color:#fff;border-radius:1em;padding:0 .45em;font-size:.8em}
#join-form input{width:100%;margin-bottom:.3em}
.error{color:#b00020;font-size:.85em;min-height:1em}
.messages{height:60vh;overflow:auto;font-family:ui-monospace,monospace;font-size:.92em;border:1px solid #e5e5ea;border-radius:.3em;padding:.3em}
.msg{padding:.15em .3em;border-radius:.2em;white-space:pre-wrap;word-break:break-word}
.msg .seq{color:#86868b;display:inline-block;min-width:3.5em}
.msg .sender{font-weight:600}
.msg .status{color:#86868b;margin-left:.5em;font-size:.85em}
.msg[data-own=true]{background:#f0f6ff}
.msg[data-state=pending] .status{color:#a15c00}
.msg[data-state=refused]{background:#fff0f0}
.msg[data-state=refused] .status{color:#b00020}
#send-form{display:flex;gap:.4em;margin-top:.5em}
#send-input{flex:1}
table{border-collapse:collapse;width:100%;font-size:.88em}
td,th{padding:.2em .35em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
#workers td{white-space:nowrap}
#workers td[data-testid$=-exits]{white-space:normal;font-size:.9em}
#workers td.controls{white-space:normal;border-bottom:1px solid #ddd;padding-bottom:.4em}
td[data-state=up]{color:#1e7a34;font-weight:600}
td[data-state=stale]{color:#b00020;font-weight:600}
td[data-state=down],td[data-state=starting]{color:#a15c00;font-weight:600}
tr[data-current=true]{background:#f0f6ff}
#cluster-status{font-size:.85em;color:#555;margin:.3em 0}
#cluster-status[data-ok=false]{color:#b00020}
.controls button{font-size:.8em;margin:.1em}
.sub{color:#86868b;font-size:.85em}
#control-log,#event-log{font-family:ui-monospace,monospace;font-size:.8em;max-height:12em;overflow:auto;background:#fafafa;border:1px solid #eee;padding:.3em;white-space:pre-wrap}
#control-log .fail{color:#b00020}
`;

/**
 * The chat page's HTML. `config` (validated against the protocol's `WebConfig`) is embedded as
 * `window.DELIVERYLAB_CONFIG`; `scriptSrc` is where the serving server has the bundle.
 * @throws a zod error naming the bad field when `config` is not a `WebConfig`
 */
export function chatPageHtml(config?: WebConfig, opts: { scriptSrc?: string } = {}): string {
  const checked = config === undefined ? undefined : WebConfig.parse(config);
  const scriptSrc = opts.scriptSrc ?? CHAT_SCRIPT_PATH;
  const configScript = checked === undefined ? '' : `<script>window.DELIVERYLAB_CONFIG=${scriptJson(checked)};</script>\n`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>deliverylab chat</title><link rel="icon" href="data:,"><style>${STYLE}</style>
${configScript}<script type="module" src=${JSON.stringify(scriptSrc).replace(/</g, '\\u003c')}></script>
</head><body>
<header><h1>deliverylab chat</h1><span id="who" data-testid="who">starting…</span>
<span id="conn-state" data-testid="conn-state" data-state="starting">starting</span><span id="notice" data-testid="notice"></span></header>
<main>
<section aria-label="rooms"><h2>Rooms</h2><ul id="rooms" data-testid="rooms"></ul>
<form id="join-form" data-testid="join-form"><input id="join-input" data-testid="join-input" placeholder="room name" autocomplete="off" maxlength="64">
<button data-testid="join-button">join</button><div id="join-error" class="error" data-testid="join-error"></div></form></section>
<section aria-label="messages"><h2 id="room-title" data-testid="room-title">…</h2><div id="message-panes"></div>
<form id="send-form" data-testid="send-form"><input id="send-input" data-testid="send-input" placeholder="message" autocomplete="off" disabled>
<button id="send-button" data-testid="send-button" disabled>send</button></form>
<h2 style="margin-top:.8em">Client events</h2><div id="event-log" data-testid="event-log"></div></section>
<section aria-label="cluster" data-testid="cluster-panel"><h2>Cluster</h2><div id="cluster-status" data-testid="cluster-status">waiting for the first answer…</div>
<table><thead><tr id="workers-head"><th>worker</th><th>pid</th><th>state</th><th>last report</th><th>conns</th><th>redis pub / sub</th><th>exits</th></tr></thead><tbody id="workers" data-testid="workers"></tbody></table>
<div id="global-controls" class="controls" data-testid="global-controls" hidden></div>
<h2 style="margin-top:.8em">Room heads</h2><table><thead><tr><th>room</th><th>head (db)</th><th>this page</th></tr></thead><tbody id="heads" data-testid="heads"></tbody></table>
<div id="heads-note" class="error"></div>
</section>
</main>
<noscript>The chat needs JavaScript.</noscript>
</body></html>
`;
}
