// Replays every case of llamashim's corpus of broken model-server answers through the launcher
// (java -jar llamashim.jar) and checks that openai-node ends with exactly the intended tool calls,
// content and finish_reason: by accumulating the raw chunks the way the OpenAI docs show, and
// through the SDK's own chat.completions.stream() helper.
//
//   node check.mjs [--jar PATH] [--corpus DIR] [--only SUBSTRING]
//
// The fake model server (in this process) answers /case/NAME/v1/chat/completions with the case's
// upstream bytes. JSON cases refuse stream:true as old llama-server builds do, so mode auto has to
// ask again with stream:false.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import OpenAI from 'openai';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) =>
  arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs, []));
const jar = path.resolve(args.jar ?? path.join(here, '../../shim-jetty-launcher/target/llamashim.jar'));
const corpusDir = path.resolve(args.corpus ?? path.join(here, '../../shim-core/src/test/resources/broken'));

function loadCases() {
  return readdirSync(corpusDir).filter((f) => f.endsWith('.case.json')).sort().map((file) => {
    const name = file.slice(0, -'.case.json'.length);
    const spec = JSON.parse(readFileSync(path.join(corpusDir, file), 'utf8'));
    const sse = path.join(corpusDir, `${name}.sse`);
    const stream = existsSync(sse);
    const upstream = readFileSync(stream ? sse : path.join(corpusDir, `${name}.json`));
    return { name, spec, stream, upstream };
  }).filter((c) => !args.only || c.name.includes(args.only));
}

const REFUSAL = JSON.stringify({ error: { code: 500, message: 'Cannot use tools with stream', type: 'server_error' } });

function startModelServer(cases) {
  const byName = new Map(cases.map((c) => [c.name, c]));
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const match = /^\/case\/([^/]+)\/v1\/chat\/completions$/.exec(req.url);
      const found = match && byName.get(decodeURIComponent(match[1]));
      if (!found) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"message":"no such case"}}');
        return;
      }
      if (found.stream) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        for (const event of found.upstream.toString('utf8').split(/(?<=\n\n)/)) {
          res.write(event);
        }
        res.end();
        return;
      }
      if (JSON.parse(body).stream === true) {
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(REFUSAL);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(found.upstream);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function startLauncher(target, settings) {
  // INFO: the start line names the port picked.
  const flags = ['--proxy-port', '0', '--target-url', target, '--heartbeat-seconds', '0', '--log-level', 'INFO'];
  for (const [key, value] of Object.entries(settings)) {
    flags.push(`--${key}`, value);
  }
  const child = spawn('java', ['-jar', jar, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (data) => {
      seen += data;
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (listening) {
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({ uri: listening[1], stop: () => child.kill('SIGTERM') });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the launcher exited with ${code}: ${seen}`)));
  });
}

function requestOf(spec) {
  const { stream, ...rest } = spec.request;
  return rest;
}

/** Accumulates chunks as the OpenAI docs' streaming example does: by choice and tool-call index. */
async function accumulateRaw(stream) {
  const message = { content: null, reasoning_content: null, tool_calls: [] };
  let finishReason = null;
  for await (const chunk of stream) {
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string') message.content = (message.content ?? '') + delta.content;
    if (typeof delta.reasoning_content === 'string') {
      message.reasoning_content = (message.reasoning_content ?? '') + delta.reasoning_content;
    }
    for (const call of delta.tool_calls ?? []) {
      const slot = (message.tool_calls[call.index] ??= { id: null, name: '', arguments: '' });
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.name += call.function.name;
      if (call.function?.arguments) slot.arguments += call.function.arguments;
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  return { ...message, finish_reason: finishReason };
}

function fromMessage(message, finishReason) {
  return {
    content: message.content ?? null,
    reasoning_content: message.reasoning_content ?? null,
    tool_calls: (message.tool_calls ?? []).map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
    finish_reason: finishReason,
  };
}

/** What differs between what the client ended with and what the case expects; empty when nothing. */
function differences(got, expect, { reasoning }) {
  const problems = [];
  const text = (value) => (value === '' ? null : value);
  if (text(got.content) !== text(expect.content ?? null)) {
    problems.push(`content ${JSON.stringify(got.content)} != ${JSON.stringify(expect.content)}`);
  }
  if (reasoning && text(got.reasoning_content) !== text(expect.reasoning_content ?? null)) {
    problems.push(`reasoning_content ${JSON.stringify(got.reasoning_content)} != ${JSON.stringify(expect.reasoning_content)}`);
  }
  if (got.finish_reason !== expect.finish_reason) {
    problems.push(`finish_reason ${got.finish_reason} != ${expect.finish_reason}`);
  }
  const calls = expect.tool_calls ?? [];
  if (got.tool_calls.length !== calls.length) {
    problems.push(`${got.tool_calls.length} tool calls != ${calls.length}: ${JSON.stringify(got.tool_calls)}`);
    return problems;
  }
  calls.forEach((want, i) => {
    const call = got.tool_calls[i];
    let args;
    try {
      args = JSON.parse(call.arguments);
    } catch {
      args = `unparseable ${call.arguments}`;
    }
    if (call.name !== want.name) problems.push(`call ${i} name ${call.name} != ${want.name}`);
    if (!isDeepStrictEqual(args, want.arguments)) {
      problems.push(`call ${i} arguments ${call.arguments} != ${JSON.stringify(want.arguments)}`);
    }
    if (want.id != null ? call.id !== want.id : !/^call_[A-Za-z0-9]{24}$/.test(call.id ?? '')) {
      problems.push(`call ${i} id ${call.id} != ${want.id ?? 'call_ + 24 alphanumerics'}`);
    }
  });
  return problems;
}

function client(launcher, name) {
  return new OpenAI({ baseURL: `${launcher.uri}/case/${encodeURIComponent(name)}/v1`, apiKey: 'sk-test', maxRetries: 0, timeout: 30_000 });
}

const runs = [
  { label: 'repair', settings: { mode: 'repair' }, cases: (c) => c.stream, ways: ['raw', 'helper'] },
  { label: 'auto', settings: { mode: 'auto' }, cases: () => true, ways: ['raw', 'helper'] },
  { label: 'synthesize', settings: { mode: 'synthesize' }, cases: (c) => !c.stream, ways: ['raw', 'helper'] },
  { label: 'normalize_non_stream', settings: { 'normalize-non-stream': 'true' }, cases: (c) => !c.stream, ways: ['create'] },
];

async function check(way, openai, testCase) {
  const request = requestOf(testCase.spec);
  if (way === 'raw') {
    const got = await accumulateRaw(await openai.chat.completions.create({ ...request, stream: true }));
    return differences(got, testCase.spec.expect, { reasoning: true });
  }
  if (way === 'helper') {
    const runner = openai.chat.completions.stream({ ...request, stream: true });
    const completion = await runner.finalChatCompletion();
    const choice = completion.choices[0];
    return differences(fromMessage(choice.message, choice.finish_reason), testCase.spec.expect, { reasoning: false });
  }
  const completion = await openai.chat.completions.create({ ...request, stream: false });
  const choice = completion.choices[0];
  return differences(fromMessage(choice.message, choice.finish_reason), testCase.spec.expect, { reasoning: true });
}

const cases = loadCases();
const model = await startModelServer(cases);
const target = `http://127.0.0.1:${model.address().port}`;
let failures = 0;
let checks = 0;
try {
  for (const run of runs) {
    const launcher = await startLauncher(target, run.settings);
    try {
      const selected = cases.filter(run.cases);
      const tally = Object.fromEntries(run.ways.map((w) => [w, 0]));
      for (const testCase of selected) {
        for (const way of run.ways) {
          checks++;
          let problems;
          try {
            problems = await check(way, client(launcher, testCase.name), testCase);
          } catch (e) {
            problems = [`${e.constructor.name}: ${e.message}`];
          }
          if (problems.length === 0) {
            tally[way]++;
          } else {
            failures++;
            console.log(`FAIL ${run.label} ${way} ${testCase.name}: ${problems.join('; ')}`);
          }
        }
      }
      console.log(`${run.label}: ${run.ways.map((w) => `${w} ${tally[w]}/${selected.length}`).join(', ')}`);
    } finally {
      launcher.stop();
    }
  }
} finally {
  model.close();
}
const sdk = JSON.parse(readFileSync(path.join(here, 'node_modules/openai/package.json'), 'utf8')).version;
console.log(`openai-node ${sdk}, node ${process.version}: ${checks - failures} of ${checks} checks passed`);
process.exit(failures === 0 ? 0 : 1);
