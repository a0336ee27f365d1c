'use strict';
// flowbot's sandbox bootstrap for the nodejs runtime (see ../runner.py).
//
//   node bootstrap.js RESULT_FD RESULT_LIMIT [EGRESS_SOCKET FORWARD_PORT]
//
// Reads one JSON document {"script", "context"} on stdin, loads the script as a
// CommonJS module and calls its handler as CLOSER does:
//   module.exports = function handler(context, callback) { callback(error, result) }
//   module.exports = function handler(context) { return promise }   (or an async function)
// and writes ONE JSON line, {"result": ...} or {"error": {"name", "message"}}, on
// RESULT_FD, a pipe of its own: whatever the script prints goes to stdout/stderr
// and never mixes with it. Then it exits at once (timers the script left are not
// waited for).
//
// In bubblewrap mode the sandbox has no network at all: EGRESS_SOCKET is the
// egress proxy's unix socket, and a forwarder on 127.0.0.1:FORWARD_PORT (the
// sandbox's own loopback, where HTTP_PROXY points) relays connections to it.

const fs = require('fs');
const net = require('net');
const Module = require('module');
const path = require('path');

// Taken before the script runs: a script that replaces them only harms its own result.
const writeSync = fs.writeSync;
const stringify = JSON.stringify;
const exit = process.exit.bind(process);

const resultFd = Number(process.argv[2]);
const resultLimit = Number(process.argv[3]);
const egressSocket = process.argv[4];
const forwardPort = Number(process.argv[5]);
process.argv.length = 2;

let done = false;

function report(payload) {
  if (done) return;
  done = true;
  let line;
  try {
    line = stringify(payload);
  } catch (error) {
    line = stringify({ error: { name: 'TypeError', message: 'the result is not JSON: ' + error.message } });
  }
  if (line === undefined) line = '{"result":null}';
  if (Buffer.byteLength(line) > resultLimit + 64) {
    line = stringify({ oversize: Buffer.byteLength(line) });
  }
  const data = Buffer.from(line + '\n');
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(resultFd, data, offset, data.length - offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') break;
    }
  }
  exit(0);
}

function errorOf(reason) {
  if (reason instanceof Error || (reason && typeof reason === 'object' && 'message' in reason)) {
    let message = String(reason.message);
    const cause = reason.cause; // fetch: "fetch failed", the reason in its cause
    if (cause && typeof cause === 'object' && cause.message) message += ' (' + cause.message + ')';
    return { name: String(reason.name || 'Error'), message };
  }
  if (typeof reason === 'string') return { name: 'Error', message: reason };
  let text;
  try {
    text = stringify(reason);
  } catch (_) {
    text = undefined;
  }
  return { name: 'Error', message: text === undefined ? String(reason) : text };
}

function succeed(value) {
  report({ result: value === undefined ? null : value });
}

function fail(reason) {
  report({ error: errorOf(reason) });
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
process.on('beforeExit', () => {
  fail(new Error('the handler finished without calling back or returning a result'));
});

// Node 20's fetch ignores the proxy variables: route it through them, on first use.
if (typeof globalThis.fetch === 'function') {
  const nativeFetch = globalThis.fetch;
  let routed = false;
  globalThis.fetch = function fetch(...args) {
    if (!routed) {
      routed = true;
      try {
        const undici = require('undici');
        undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent());
      } catch (_) {
        // undici not installed: fetch goes direct (no network at all under bubblewrap)
      }
    }
    return nativeFetch.apply(this, args);
  };
}

function run(input) {
  const filename = path.join(process.cwd(), 'script.js');
  const script = new Module(filename, null);
  script.filename = filename;
  script.paths = Module._nodeModulePaths(process.cwd());
  script._compile(input.script, filename);
  let handler = script.exports;
  if (typeof handler !== 'function' && handler && typeof handler.handler === 'function') {
    handler = handler.handler;
  }
  if (typeof handler !== 'function') {
    throw new TypeError(
      'the script must export a handler: module.exports = function handler(context, callback) {...}'
    );
  }
  const takesCallback = handler.length >= 2;
  const callback = (error, result) => {
    if (error !== null && error !== undefined) fail(error);
    else succeed(result);
  };
  const returned = handler.call(script.exports, input.context, callback);
  if (returned && typeof returned.then === 'function') {
    returned.then((value) => {
      // `async (context, callback) => { request(..., () => callback(...)) }` resolves early
      if (value !== undefined || !takesCallback) succeed(value);
    }, fail);
  } else if (returned !== undefined && !takesCallback) {
    succeed(returned);
  }
}

function start() {
  let input;
  try {
    input = JSON.parse(fs.readFileSync(0, 'utf8'));
  } catch (error) {
    fail(new Error('bad input from flowbot: ' + error.message));
    return;
  }
  try {
    run(input);
  } catch (error) {
    fail(error);
  }
}

if (egressSocket) {
  const forwarder = net.createServer((client) => {
    const upstream = net.connect({ path: egressSocket });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  forwarder.on('error', (error) => fail(new Error('egress forwarder: ' + error.message)));
  forwarder.listen(forwardPort, '127.0.0.1', () => {
    forwarder.unref();
    start();
  });
} else {
  start();
}
