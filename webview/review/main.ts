// The crop-review page: a grid of the preprocessed images with their captions and lint problems;
// each can open its caption, be deleted, or be re-cropped by hand to a square (the tutorial's
// hand-cropped 1:1 images). The host does the file work; the page only sends requests.
import { parseHostToReview, type ReviewItem, type ReviewToHostMessage } from '../../src/protocol/reviewMessages';
import { initialSquare, moveSquare, resizeSquare, type Square } from './cropSquare';

interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

interface PageState {
  folder: string;
  items: ReviewItem[];
  onlyProblems: boolean;
}

const vscode = acquireVsCodeApi<PageState>();
const saved = vscode.getState();
let state: PageState = { folder: saved?.folder ?? '', items: Array.isArray(saved?.items) ? saved.items : [], onlyProblems: saved?.onlyProblems === true };

const byId = <T extends HTMLElement>(id: string) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`review page: #${id} is missing`);
  return element as T;
};
const grid = byId<HTMLElement>('grid');
const summary = byId<HTMLElement>('summary');
const onlyProblems = byId<HTMLInputElement>('only-problems');
const editor = byId<HTMLElement>('editor');
const stage = byId<HTMLElement>('stage');
const editorImage = byId<HTMLImageElement>('editor-image');
const selection = byId<HTMLElement>('selection');
const handle = byId<HTMLElement>('handle');
const figures = byId<HTMLElement>('editor-figures');

function post(message: ReviewToHostMessage): void {
  vscode.postMessage(message);
}

function save(): void {
  vscode.setState(state);
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(label: string, aria: string, onClick: () => void, secondary = true): HTMLButtonElement {
  const b = element('button', secondary ? 'secondary' : undefined, label);
  b.type = 'button';
  b.setAttribute('aria-label', aria);
  b.addEventListener('click', onClick);
  return b;
}

function card(item: ReviewItem): HTMLElement {
  const root = element('article', 'card');
  root.dataset.id = item.id;
  const image = element('img');
  image.src = item.imageUri;
  image.alt = item.name;
  root.append(image, element('div', 'name', `${item.name} (${item.width}×${item.height})`));
  root.append(item.caption === null ? element('div', 'caption missing', 'No caption') : element('div', 'caption', item.caption));
  if (item.problems.length > 0) {
    const list = element('ul', 'problems');
    for (const p of item.problems) list.append(element('li', p.severity, p.code ? `${p.message} (${p.code})` : p.message));
    root.append(list);
  }
  const actions = element('div', 'actions');
  actions.append(
    button(item.caption === null ? 'Create caption' : 'Open caption', `Open the caption of ${item.name}`, () => post({ type: 'openCaption', id: item.id }), false),
    button('Re-crop…', `Re-crop ${item.name} by hand`, () => openEditor(item)),
    button('Delete', `Delete ${item.name}`, () => post({ type: 'deleteImage', id: item.id })),
  );
  root.append(actions);
  return root;
}

function render(): void {
  const shown = state.onlyProblems ? state.items.filter((i) => i.problems.length > 0 || i.caption === null) : state.items;
  grid.replaceChildren(...shown.map(card));
  const withProblems = state.items.filter((i) => i.problems.length > 0).length;
  const uncaptioned = state.items.filter((i) => i.caption === null).length;
  summary.textContent = `${state.items.length} images · ${withProblems} with problems · ${uncaptioned} without caption`;
  onlyProblems.checked = state.onlyProblems;
}

onlyProblems.addEventListener('change', () => {
  state = { ...state, onlyProblems: onlyProblems.checked };
  save();
  render();
});

// --- the crop editor --------------------------------------------------------------------------
let editing: { item: ReviewItem; square: Square; scale: number } | null = null;

function drawSquare(): void {
  if (!editing) return;
  const { square, scale } = editing;
  selection.style.left = `${square.left * scale}px`;
  selection.style.top = `${square.top * scale}px`;
  selection.style.width = `${square.side * scale}px`;
  selection.style.height = `${square.side * scale}px`;
  selection.setAttribute('aria-valuetext', `left ${square.left}, top ${square.top}, side ${square.side} pixels`);
  figures.textContent = `${square.side}×${square.side} px at (${square.left}, ${square.top})`;
}

function openEditor(item: ReviewItem): void {
  // Fit the image into 640×480 CSS pixels; regions are kept in image pixels.
  const scale = Math.min(640 / item.width, 480 / item.height);
  editing = { item, square: initialSquare(item.width, item.height), scale };
  editorImage.src = item.imageUri;
  editorImage.alt = item.name;
  editorImage.style.width = `${item.width * scale}px`;
  editorImage.style.height = `${item.height * scale}px`;
  byId('editor-title').textContent = `Re-crop ${item.name}`;
  editor.hidden = false;
  drawSquare();
  selection.focus();
}

function closeEditor(): void {
  editing = null;
  editor.hidden = true;
}

let drag: { mode: 'move' | 'resize'; x: number; y: number; start: Square } | null = null;
stage.addEventListener('pointerdown', (event) => {
  if (!editing || !(event.target instanceof Node) || !selection.contains(event.target)) return;
  drag = { mode: event.target === handle ? 'resize' : 'move', x: event.clientX, y: event.clientY, start: editing.square };
  stage.setPointerCapture(event.pointerId);
  event.preventDefault();
});
stage.addEventListener('pointermove', (event) => {
  if (!drag || !editing) return;
  const dx = (event.clientX - drag.x) / editing.scale;
  const dy = (event.clientY - drag.y) / editing.scale;
  const { width, height } = editing.item;
  editing.square = drag.mode === 'move' ? moveSquare(drag.start, dx, dy, width, height) : resizeSquare(drag.start, Math.max(dx, dy), width, height);
  drawSquare();
});
const endDrag = () => (drag = null);
stage.addEventListener('pointerup', endDrag);
stage.addEventListener('pointercancel', endDrag);

selection.addEventListener('keydown', (event) => {
  if (!editing) return;
  const { width, height } = editing.item;
  const step = Math.max(1, Math.round(Math.min(width, height) * (event.shiftKey ? 0.1 : 0.01)));
  const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  if (moves[event.key]) editing.square = moveSquare(editing.square, moves[event.key][0], moves[event.key][1], width, height);
  else if (event.key === '+' || event.key === '=') editing.square = resizeSquare(editing.square, step, width, height);
  else if (event.key === '-') editing.square = resizeSquare(editing.square, -step, width, height);
  else if (event.key === 'Enter') return void byId('editor-save').click();
  else return;
  event.preventDefault();
  drawSquare();
});
editor.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeEditor();
});
byId('editor-cancel').addEventListener('click', closeEditor);
byId('editor-save').addEventListener('click', () => {
  if (!editing) return;
  const { item, square } = editing;
  post({ type: 'saveCrop', id: item.id, region: { left: square.left, top: square.top, width: square.side, height: square.side } });
  closeEditor();
});

// --- host messages -------------------------------------------------------------------------------
window.addEventListener('message', (event: MessageEvent) => {
  let message;
  try {
    message = parseHostToReview(event.data);
  } catch (error) {
    console.error(`review page: ignored a message: ${(error as Error).message}`);
    return;
  }
  if (message.type === 'items') state = { ...state, folder: message.folder, items: message.items };
  else if (message.type === 'itemChanged') state = { ...state, items: state.items.map((i) => (i.id === message.item.id ? message.item : i)) };
  else state = { ...state, items: state.items.filter((i) => i.id !== message.id) };
  byId('title').textContent = state.folder ? `Crop review — ${state.folder}` : 'Crop review';
  save();
  render();
});

render();
(window as unknown as { __review: boolean }).__review = true;
post({ type: 'ready' });
