// The key-based operations page at /ops: refreshes its tables from /v1/ops/state with the ops key the operator
// typed (kept in sessionStorage). A file of its own: the Content-Security-Policy allows no inline script.
const REFRESH_MS = 2000;
function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
function fill(id, rows) {
  const body = document.querySelector(`#${id} tbody`); body.replaceChildren();
  for (const row of rows) { const tr = document.createElement("tr"); row.forEach(c => tr.appendChild(c)); body.appendChild(tr); }
}
async function refresh() {
  const key = sessionStorage.getItem("opsKey"); if (!key) return;
  const status = document.getElementById("status");
  try {
    const response = await fetch("/v1/ops/state", { headers: { Authorization: `Bearer ${key}` } });
    if (!response.ok) { status.textContent = `refused: HTTP ${response.status}`; return; }
    const s = await response.json();
    fill("services", s.instances.map(i => [cell(i.service), cell(i.instance), cell(i.status, i.status),
      cell(`${Math.round(i.last_seen_s)} s ago`), cell(i.messages_in), cell(i.messages_out), cell(i.errors),
      cell(i.dead_letters), cell(i.p99_ms === null ? "-" : i.p99_ms.toFixed(1))]));
    const topics = [...new Set([...Object.keys(s.throughput_in), ...Object.keys(s.throughput_out)])].sort();
    fill("throughput", topics.map(t => [cell(t), cell(s.throughput_in[t] || 0), cell(s.throughput_out[t] || 0)]));
    fill("lag", Object.entries(s.lag).sort().map(([g, v]) => [cell(g), cell(v === null ? "?" : v)]));
    fill("funnel", Object.entries(s.funnel).sort().map(([p, n]) => [cell(p), cell(n.proposed), cell(n.accepted),
      cell(n.enrolled), cell(n.completed), cell(n.employed)]));
    document.getElementById("dead-title").textContent = `Dead letters: ${s.dead_letters} (last 5)`;
    fill("dead", s.last_dead_letters.map(d => [cell(`${d.partition}:${d.offset}`), cell(d.topic), cell(d.service), cell(d.error)]));
    const problems = (s.problems || []).join(" · ");
    status.textContent = `refreshed ${new Date().toLocaleTimeString()}` + (problems ? ` — ${problems}` : "");
  } catch (error) { status.textContent = `cannot reach the service: ${error}`; }
}
document.getElementById("key-form").addEventListener("submit", event => {
  event.preventDefault(); sessionStorage.setItem("opsKey", document.getElementById("key").value.trim()); refresh();
});
refresh(); setInterval(refresh, REFRESH_MS);

