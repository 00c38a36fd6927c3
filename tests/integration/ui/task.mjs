// A reviewer completes a phone-validation task (BR 3.2.2.4.16/.17) in kakuin's reviewer
// UI in headless Chromium: the task page shows the domain, the number to call and the
// random value; the reviewer records the outcome. Environment:
//   KK_UI_BASE https://127.0.0.1:PORT, KK_UI_TASK the task id, KK_UI_A/KK_UI_A_PASS the
//   reviewer, KK_UI_PHONE and KK_UI_RANDOM what the page must show,
//   KK_UI_OUTCOME success|failure, KK_UI_NOTE the note.
// Prints PASS:/FAIL: lines and "N passed, N failed"; exits 1 on any failure.
import { check, finish, launch, login, submit, text } from './browser.mjs';

const E = process.env;
const BASE = E.KK_UI_BASE, TASK = E.KK_UI_TASK;

const browser = await launch();
try {
	const page = await browser.newPage();
	const resp = await login(page, BASE, E.KK_UI_A, E.KK_UI_A_PASS);
	check(resp.status() === 200, `${E.KK_UI_A} logs in to the reviewer UI`, resp.status());
	await page.goto(`${BASE}/`);
	check(await page.$(`#tasks a[href="/task/${TASK}"]`) !== null,
	    `the queue lists open task ${TASK}`);
	await page.goto(`${BASE}/task/${TASK}`);
	check((await text(page, '#phone')) === E.KK_UI_PHONE, 'the task shows the number to call',
	    await text(page, '#phone'));
	check((await text(page, '#random')) === E.KK_UI_RANDOM,
	    'the task shows the random value to confirm', await text(page, '#random'));
	await page.click(`form#complete input[value=${E.KK_UI_OUTCOME}]`);
	await page.type('form#complete input[name=note]', E.KK_UI_NOTE || '');
	await submit(page, 'form#complete');
	check((await text(page, '#task-status')) === 'done' &&
	    (await text(page, '#outcome')) === E.KK_UI_OUTCOME,
	    `task ${TASK} recorded as ${E.KK_UI_OUTCOME}`, await text(page, '#task-status'));
} catch (e) {
	check(false, 'browser run', e.message);
} finally {
	await browser.close();
}
finish();
