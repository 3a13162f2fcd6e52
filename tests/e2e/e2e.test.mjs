// Every browser test, in one process. Node 20's `node --test` gives each test file a process of its
// own, so the suites are modules (suites/*.mjs, which `node --test` does not pick up by themselves)
// imported here, and they share what need not be fresh: one server and one Chromium (a tab per
// suite), started on first use and stopped at the end. Suites that need their own server start it:
// keep-alive (--ws-idle-secs 1), practice and reconnect (restart it on the same database file); cluster starts
// scripts/cluster.sh (PostgreSQL, two replicas, nginx).
import { after } from 'node:test';
import { stopShared } from './lib/harness.mjs';
import './unit/hand-compare.test.mjs';
import './suites/interpreter.mjs';
import './suites/on-device.mjs';
import './suites/upload.mjs';
import './suites/learn.mjs';
import './suites/practice.mjs';
import './suites/calibrate.mjs';
import './suites/classes.mjs';
import './suites/path.mjs';
import './suites/coach.mjs';
import './suites/reconnect.mjs';
import './suites/a11y.mjs';
import './suites/keepalive.mjs';
import './suites/firefox.mjs';
import './suites/cluster.mjs';

after(stopShared);
