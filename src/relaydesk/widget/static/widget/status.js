// relaydesk chat widget: who has the conversation (header, waiting queue) and "Talk to a human".

import { L } from "./config.js";
import { request } from "./http.js";
import { S } from "./state.js";
import { isObject } from "./util.js";
import { humanBtn, setStanding, showNotice, subtitle } from "./view.js";

export function updateConversation(c) {
  if (!isObject(c) || !S.conv || (c.id && c.id !== S.conv.id)) return;
  Object.assign(S.conv, c);
  const assignee = S.conv.assignee;
  const kind = assignee && assignee.type;
  subtitle.textContent = kind === "ai_agent" ? L.bot : kind === "agent" ? L.agent : "";
  humanBtn.hidden = kind !== "ai_agent" || S.conv.status === "resolved";
  clearTimeout(S.queueTimer);
  if (S.conv.status === "waiting") {
    setStanding(L.waiting);
    refreshQueue();
  } else if (S.conv.status === "resolved") {
    setStanding(L.resolved);
  } else {
    setStanding("");
  }
}

async function refreshQueue() {
  if (!S.conv || S.conv.status !== "waiting") return;
  try {
    const q = await request("GET", "/api/v1/conversations/" + S.conv.id + "/queue");
    if (q && q.status === "waiting") {
      setStanding(q.position ? L.queue.replace("{n}", q.position) : L.waiting);
    }
  } catch (e) {
    /* keep "waiting for an agent" */
  }
  clearTimeout(S.queueTimer);
  S.queueTimer = setTimeout(refreshQueue, 15000);
}

humanBtn.addEventListener("click", async () => {
  if (!S.conv) return;
  humanBtn.disabled = true;
  try {
    const res = await request("POST", "/api/v1/conversations/" + S.conv.id + "/handoff");
    updateConversation(res.conversation);
    if (res.queue_position) setStanding(L.queue.replace("{n}", res.queue_position));
  } catch (err) {
    showNotice((err && err.message) || L.failed, true);
  } finally {
    humanBtn.disabled = false;
  }
});
