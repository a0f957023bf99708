// The bidder page on a replicated shard (SPEC §11) in headless Chromium: three nats-server and
// three auctiond nodes on loopback; alice's page is served by the leader and bob's by a follower.
// The leader is SIGKILLed in the middle of their duel: alice's page says it is reconnecting and
// disables bidding, reconnects to another node, shows the true price and leader, and her next
// bid goes through. Saves screenshots.
//
//   node failover.mjs <auctiond binary> <nats-server binary> <screenshot dir>
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import readline from "node:readline";

const [auctiond, natsServer, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const data = mkdtempSync(join(tmpdir(), "auction-failover-"));
let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) { passed++; } else { failed++; console.error("FAILED: " + what); } };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const freePort = () => new Promise((resolve) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address(); server.close(() => resolve(port));
  });
});

const processes = [];
const routes = [], urls = [];
for (let i = 0; i < 3; i++) { routes.push(await freePort()); urls.push(await freePort()); }
for (let i = 0; i < 3; i++) {
  processes.push(spawn(natsServer, ["-js", "-sd", join(data, `nats-${i}`), "-n", `nats-${i}`,
    "-a", "127.0.0.1", "-p", String(urls[i]), "--cluster_name", "failover",
    "--cluster", `nats://127.0.0.1:${routes[i]}`,
    "--routes", routes.map((p) => `nats://127.0.0.1:${p}`).join(","),
    "-l", join(data, `nats-${i}.log`)], { stdio: "ignore" }));
}
const nats = urls.map((p) => `nats://127.0.0.1:${p}`).join(",");
const nodes = [];
for (let i = 0; i < 3; i++) {
  const port = await freePort(), admin = await freePort();
  const dir = join(data, `node-${i}`);
  const child = spawn(auctiond, ["--data-dir", dir, "--listen", `127.0.0.1:${port}`,
    "--admin-listen", `127.0.0.1:${admin}`, "--nats", nats, "--shard", "page", "--node", `node-${i}`,
    "--lease-ms", "1500"], { stdio: ["ignore", "pipe", "ignore"] });
  processes.push(child);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node-${i} did not start`)), 20000);
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("auctiond: node")) { clearTimeout(timer); resolve(); }
    });
  });
  nodes.push({ child, url: `http://127.0.0.1:${port}`, admin: `http://127.0.0.1:${admin}`,
               token: readFileSync(join(dir, "admin.token"), "utf8").trim() });
}
// Every node joined the shard (/healthz 200) before the sale starts.
for (const node of nodes) {
  for (let tries = 0; ; tries++) {
    try { if ((await fetch(node.url + "/healthz")).status === 200) break; } catch (e) { /* starting */ }
    if (tries > 600) throw new Error(node.url + " did not join the shard");
    await sleep(50);
  }
}
const leads = async (node) => {
  try { return (await (await fetch(node.url + "/metrics")).text()).includes("auction_cluster_leader 1"); }
  catch (e) { return false; }
};
const leaderOf = async (among) => {
  for (let tries = 0; tries < 400; tries++) {
    for (const node of among) if (await leads(node)) return node;
    await sleep(50);
  }
  throw new Error("no leader");
};
const admin = async (node, method, path, body) => {
  const response = await fetch(node.admin + path, { method, body: JSON.stringify(body),
    headers: { authorization: "Bearer " + node.token, "content-type": "application/json" } });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
};

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const leader = await leaderOf(nodes);
  const follower = nodes.find((n) => n !== leader);
  const tokens = {};
  for (const user of ["alice", "bob"]) tokens[user] = (await admin(leader, "POST", "/v1/users", { user })).token;
  await admin(leader, "POST", "/v1/users", { user: "gallery", role: "seller" });  // the lot's seller
  await admin(leader, "POST", "/v1/lots", { lots: [{ id: "hot", title: "Hot lot", seller: "gallery",
    currency: "EUR", start_price: 1000, increment: 100, starts_in_ms: 0, timed_ms: 0,
    extension_ms: 3600000 }] });
  await sleep(500);  // the users reach every node

  const open = async (node, user) => {
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 760 }, locale: "en-US" })).newPage();
    await page.goto(node.url);
    await page.fill("#user", user);
    await page.fill("#token", tokens[user]);
    await page.click("#login");
    await page.waitForSelector(`text=logged in as ${user}`, { timeout: 5000 });
    await page.click("li[data-lot=hot]", { timeout: 5000 });
    await page.waitForSelector("#title:has-text('Hot lot')", { timeout: 5000 });
    return page;
  };
  const alice = await open(leader, "alice");
  const bob = await open(follower, "bob");
  const knows = await alice.evaluate(() => conn.nodes.length);
  check(knows === 3, "the page knows the shard's three nodes: " + knows);

  await alice.click("#bid");
  await alice.waitForSelector("#feedback.ok", { timeout: 5000 });
  await bob.waitForSelector("#price:has-text('€10.00')", { timeout: 5000 });
  await bob.click("#bid");
  await bob.waitForSelector("#feedback.ok", { timeout: 5000 });
  await alice.waitForSelector("#price:has-text('€11.00')", { timeout: 5000 });

  // The leader dies in the middle of the duel.
  leader.child.kill("SIGKILL");
  await alice.waitForSelector("#offline", { state: "visible", timeout: 5000 });
  check((await alice.textContent("#offline")).includes("reconnecting"), "alice's page says it is reconnecting");
  check(await alice.isDisabled("#bid"), "bidding is disabled while offline");
  await alice.screenshot({ path: join(shots, "failover-offline.png") });

  await alice.waitForSelector("#offline", { state: "hidden", timeout: 20000 });
  const now = await alice.evaluate(() => conn.nodes[conn.at % conn.nodes.length]);
  check(now !== leader.url, "alice's page reconnected to another node: " + now);
  await alice.waitForSelector("#price:has-text('€11.00')", { timeout: 5000 });
  check((await alice.textContent("#leader")) === "b***b", "the true leader after reconnecting");
  check(await alice.evaluate(() => state.me) === "alice", "logged in again");
  // Her next bid goes through (the new leader may still be taking over: retry a few times).
  let accepted = false;
  for (let tries = 0; tries < 20 && !accepted; tries++) {
    await alice.waitForSelector("#bid:not([disabled])", { timeout: 5000 });
    await alice.click("#bid");
    await alice.waitForSelector("#feedback:not(:empty)", { timeout: 10000 });
    accepted = (await alice.getAttribute("#feedback", "class")) === "ok";
    if (!accepted) await sleep(250);
  }
  check(accepted, "alice's bid after the failover is accepted");
  await bob.waitForSelector("#price:has-text('€12.00')", { timeout: 10000 });
  check(true, "bob's page shows alice's new bid");
  await alice.screenshot({ path: join(shots, "failover-reconnected.png") });
} catch (error) {
  failed++;
  console.error("FAILED: " + error.message);
} finally {
  await browser.close();
  for (const child of processes) child.kill("SIGKILL");
  await sleep(200);
  rmSync(data, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
