import { CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import { DEFAULT_SESSION, type SessionConfig } from '../src/lib/session-config';
import { checkTextBytes } from '../src/lib/text-check';
import type { DemoState, FromWorker, ToWorker } from './protocol';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};
const num = (id: string): number => Number($<HTMLInputElement>(id).value);

// State the test (and curious users) can read: window.recurrentDemo.
const state: DemoState = { epochs: [], training: false, generated: [], errors: [], crashes: 0 };
(window as unknown as { recurrentDemo: DemoState }).recurrentDemo = state;

// ---- corpus -------------------------------------------------------------------------------
let builtin: string | undefined;
let fileText: string | undefined;
let fileName = '';

async function builtinText(): Promise<string> {
  if (builtin === undefined) {
    const mod = await import('virtual:corpus-sample');
    builtin = mod.default;
    $('builtin-name').textContent = mod.name;
  }
  return builtin;
}
void builtinText().then(() => describeCorpus());

function corpusChoice(): string {
  return document.querySelector<HTMLInputElement>('input[name="corpus"]:checked')?.value ?? 'builtin';
}

async function corpusText(): Promise<string> {
  const choice = corpusChoice();
  const text = choice === 'paste' ? $<HTMLTextAreaElement>('paste').value : choice === 'file' ? (fileText ?? '') : await builtinText();
  return text.slice(0, Math.max(1000, num('max-chars')));
}

async function describeCorpus(): Promise<void> {
  const choice = corpusChoice();
  const text = await corpusText();
  const what = choice === 'builtin' ? $('builtin-name').textContent : choice === 'file' ? fileName || 'no file yet' : 'pasted text';
  $('corpus-info').textContent = `${what}: ${text.length.toLocaleString('en-US')} characters used`;
}

function selectChoice(value: string): void {
  const radio = document.querySelector<HTMLInputElement>(`input[name="corpus"][value="${value}"]`);
  if (radio) radio.checked = true;
  void describeCorpus();
}

async function takeFile(file: File): Promise<void> {
  // Binary, empty and non-UTF-8 files are refused here, with what to do; the last good file stays.
  const checked = checkTextBytes(new Uint8Array(await file.arrayBuffer()), 'choose a UTF-8 text file');
  if (!checked.ok) {
    showError(`${file.name} ${checked.problem}; ${checked.hint}`);
    return;
  }
  fileText = checked.text;
  fileName = file.name;
  // Chinese text: offer jieba words by default.
  if (/[\u4e00-\u9fff]/u.test(fileText.slice(0, 2000))) $<HTMLSelectElement>('level').value = 'jieba';
  selectChoice('file');
}

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="corpus"]')) radio.addEventListener('change', () => void describeCorpus());
$('paste').addEventListener('input', () => selectChoice('paste'));
$('max-chars').addEventListener('change', () => void describeCorpus());
$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void takeFile(file);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void takeFile(file);
});

// ---- chart --------------------------------------------------------------------------------
const chart = new Chart($<HTMLCanvasElement>('chart'), {
  type: 'line',
  data: {
    datasets: [
      { label: 'loss (per batch)', data: [], borderColor: '#4a6cf7', borderWidth: 1.5, pointRadius: 0, yAxisID: 'loss' },
      { label: 'perplexity (per epoch)', data: [], borderColor: '#e8590c', borderWidth: 2, pointRadius: 3, yAxisID: 'ppl' },
    ],
  },
  options: {
    animation: false,
    maintainAspectRatio: false,
    parsing: false,
    scales: {
      x: { type: 'linear', title: { display: true, text: 'batch' } },
      loss: { type: 'linear', position: 'left', title: { display: true, text: 'loss' } },
      ppl: { type: 'linear', position: 'right', title: { display: true, text: 'perplexity' }, grid: { drawOnChartArea: false } },
    },
  },
});
let batchesBefore = 0;
let batchesPerEpoch = 1;

function resetChart(): void {
  for (const d of chart.data.datasets) d.data = [];
  batchesBefore = 0;
  chart.update();
  $('epoch-log').textContent = '';
}

// ---- controls ------------------------------------------------------------------------------
function readConfig(): SessionConfig {
  const embedding = num('embedding');
  return {
    ...DEFAULT_SESSION,
    cell: $<HTMLSelectElement>('cell').value as SessionConfig['cell'],
    hiddenSize: num('hidden'),
    numLayers: num('layers'),
    embeddingDim: embedding > 0 ? embedding : null,
    batchSize: num('batch'),
    numSteps: num('steps'),
    lr: num('lr'),
    tokenizer: { level: $<HTMLSelectElement>('level').value as SessionConfig['tokenizer']['level'], preprocess: 'none' },
  };
}

/** Whether the current worker has said it is ready (a restarted one has not yet). */
let ready = false;

function setBusy(training: boolean): void {
  state.training = training;
  $<HTMLButtonElement>('train').disabled = training || !ready;
  $<HTMLButtonElement>('stop').disabled = !training;
}

function showError(message: string): void {
  state.errors.push(message);
  $('status').textContent = `error: ${message}`;
}

$('train').addEventListener('click', async () => {
  const text = await corpusText();
  resetChart();
  state.epochs = [];
  setBusy(true);
  $('status').textContent = 'tokenizing…';
  send({ type: 'train', text, config: readConfig(), epochs: num('epochs') });
});
$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('generate').addEventListener('click', () => {
  const topK = num('top-k');
  $('output').textContent = '…';
  send({
    type: 'generate',
    prefix: $<HTMLInputElement>('prefix').value,
    tokens: num('gen-tokens'),
    temperature: num('temperature'),
    ...(topK > 0 ? { topK } : {}),
    seed: Math.floor(Math.random() * 2 ** 31),
  });
});
$('download').addEventListener('click', () => send({ type: 'save' }));
$<HTMLInputElement>('load').addEventListener('change', async (e) => {
  const files = [...((e.target as HTMLInputElement).files ?? [])];
  const config = files.find((f) => f.name.endsWith('.json'));
  const weights = files.find((f) => f.name.endsWith('.safetensors'));
  if (!config || !weights) {
    showError('pick both config.json and model.safetensors');
    return;
  }
  const bytes = new Uint8Array(await weights.arrayBuffer());
  send({ type: 'load', config: await config.text(), weights: bytes }, [bytes.buffer]);
});

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---- the worker: started, and started again when it crashes ------------------------------------
let worker: Worker;
/** `?threads=N`: the kernels' thread count in the worker (default: every core when cross-origin isolated). */
const threadsParam = ((n) => (Number.isInteger(n) && n > 0 ? n : null))(Number(new URLSearchParams(location.search).get('threads')));
const send = (msg: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(msg, transfer);

function startWorker(): void {
  ready = false;
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = onWorkerMessage;
  // An error the worker did not catch (its script failed, it crashed, it ran out of memory):
  // before it was ready, the page cannot train; after, it is replaced by a fresh one.
  worker.onerror = (e) => {
    e.preventDefault();
    crashed(e.message || 'no reason given');
  };
  worker.onmessageerror = () => crashed('a message from it could not be read');
  send({ type: 'init', ...(threadsParam ? { threads: threadsParam } : {}) });
}

function crashed(reason: string): void {
  const wasReady = ready;
  ready = false;
  worker.terminate();
  state.crashes += 1;
  setBusy(false);
  for (const id of ['generate', 'download']) $<HTMLButtonElement>(id).disabled = true;
  if (!wasReady) {
    showError(`the training worker failed to start (${reason}); reload the page to try again`);
    return;
  }
  showError(`the training worker crashed (${reason}); the model it held is lost. A new worker is starting: press Train to start again`);
  startWorker();
}

function onWorkerMessage(event: MessageEvent<FromWorker>): void {
  const msg = event.data;
  switch (msg.type) {
    case 'ready': {
      ready = true;
      state.backend = { backend: msg.backend, simd: msg.simd, threads: msg.threads, isolated: msg.isolated, fallback: msg.fallback, threadsFallback: msg.threadsFallback };
      const badge = $('backend');
      badge.textContent = `${msg.backend.toUpperCase()} backend${msg.simd ? ' · SIMD' : ''} · ${msg.threads} thread${msg.threads === 1 ? '' : 's'}${msg.isolated ? ' · cross-origin isolated' : ''}`;
      if (msg.fallback) {
        badge.classList.add('warn');
        badge.title = msg.fallback; // why: CSP, no SIMD, binary not found
      } else if (msg.threadsFallback) badge.title = msg.threadsFallback; // why one thread: not isolated, …
      $('status').textContent = state.crashes > 0 ? 'a new worker is ready: press Train to start again' : 'ready';
      setBusy(false);
      for (const id of ['generate', 'download']) $<HTMLButtonElement>(id).disabled = false;
      return;
    }
    case 'prepared':
      batchesPerEpoch = msg.batchesPerEpoch;
      $('status').textContent = `training on ${msg.tokens.toLocaleString('en-US')} tokens, vocabulary ${msg.vocabSize}, ${msg.batchesPerEpoch} batches per epoch`;
      return;
    case 'batch': {
      const x = (msg.epoch - 1) * batchesPerEpoch + msg.progress.batch;
      (chart.data.datasets[0]!.data as { x: number; y: number }[]).push({ x, y: msg.progress.loss });
      chart.update('none');
      $('stat-epoch').textContent = `${msg.epoch} (${msg.progress.batch}/${msg.progress.batches})`;
      $('stat-tps').textContent = Math.round(msg.progress.tokensPerSecond).toLocaleString('en-US');
      return;
    }
    case 'epoch': {
      const s = msg.stats;
      state.epochs.push({ epoch: s.epoch, loss: s.loss, perplexity: s.perplexity, tokensPerSecond: s.tokensPerSecond });
      batchesBefore += s.batches;
      (chart.data.datasets[1]!.data as { x: number; y: number }[]).push({ x: batchesBefore, y: s.perplexity });
      chart.update('none');
      $('stat-ppl').textContent = s.perplexity.toFixed(2);
      $('stat-tps').textContent = Math.round(s.tokensPerSecond).toLocaleString('en-US');
      const li = document.createElement('li');
      li.textContent = `epoch ${s.epoch}/${msg.epochs}: perplexity ${s.perplexity.toFixed(2)}, loss ${s.loss.toFixed(3)}, ${Math.round(s.tokensPerSecond).toLocaleString('en-US')} tokens/s, ${s.seconds.toFixed(1)} s`;
      $('epoch-log').append(li);
      return;
    }
    case 'done':
      setBusy(false);
      $('status').textContent = msg.stopped ? 'stopped' : 'done: try generating';
      return;
    case 'generated': {
      state.generated.push(msg.text);
      const out = $('output');
      out.textContent = '';
      const p = document.createElement('span');
      p.className = 'prefix';
      const head = msg.text.startsWith(msg.prefix) ? msg.prefix : '';
      p.textContent = head;
      out.append(p, document.createTextNode(msg.text.slice(head.length)));
      return;
    }
    case 'checkpoint':
      download('config.json', msg.config, 'application/json');
      download('model.safetensors', msg.weights as Uint8Array<ArrayBuffer>, 'application/octet-stream');
      return;
    case 'loaded':
      $('status').textContent = `loaded ${msg.description}`;
      return;
    case 'error':
      setBusy(false);
      showError(msg.message);
      return;
  }
}

startWorker();
