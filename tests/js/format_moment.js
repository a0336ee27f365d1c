// Differential oracle: moment 2.22.2 + moment-timezone 0.5.23 as CLOSER ran them.
// Reads JSON lines {"value": ..., "format": ..., "tz": ..., "now": ms};
// "value" absent = undefined (moment uses "now", pinned by the request).
// Writes JSON lines {"output": "..."} or {"error": "..."}.
'use strict';
const readline = require('readline');
const moment = require('moment-timezone');

// Strings moment hands to new Date() print a deprecation warning; the tests
// only need the result.
moment.suppressDeprecationWarnings = true;

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let reply;
  try {
    const request = JSON.parse(line);
    if (typeof request.now === 'number') {
      moment.now = () => request.now;
    }
    const value = 'value' in request ? request.value : undefined;
    const tz = request.tz == null ? 'UTC' : request.tz;
    reply = { output: moment.tz(value, tz).format(request.format == null ? undefined : request.format) };
  } catch (error) {
    reply = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
