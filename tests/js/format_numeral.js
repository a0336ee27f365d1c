// Differential oracle: numeral 2.0.6 as CLOSER ran it.
// Reads JSON lines {"value": ..., "format": ...}; "value" absent = undefined.
// Writes JSON lines {"output": "..."} or {"error": "..."}.
'use strict';
const readline = require('readline');
const numeral = require('numeral');

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let reply;
  try {
    const request = JSON.parse(line);
    const value = 'value' in request ? request.value : undefined;
    reply = { output: numeral(value).format(request.format) };
  } catch (error) {
    reply = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
