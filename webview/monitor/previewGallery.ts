// Preview images by step, newest first: click one to enlarge it, or select two and compare them
// side by side (the tutorial lowers the learning rate once the last previews look alike).

import { button, byId, element } from './domElements';
import type { ModelState, PreviewEntry } from './monitorModel';

export const previewKey = (preview: PreviewEntry) => `${preview.step}|${preview.prompt}`;

export interface GallerySelection {
  /** Keys of the previews selected for comparison (at most two, oldest selection first). */
  compare: string[];
}

/** Null: the first preview of its prompt, or a run reopened from its folder (which does not record it). */
function differenceText(preview: PreviewEntry): string {
  return preview.differenceFromPrevious === null ? '' : `changed ${(preview.differenceFromPrevious * 100).toFixed(1)}% from the previous`;
}

function previewImage(preview: PreviewEntry, className: string): HTMLElement {
  return preview.uri
    ? element('img', { src: preview.uri, alt: `Preview at step ${preview.step}: ${preview.prompt}`, class: className })
    : element('div', { class: `${className} missing` }, 'image not available');
}

function previewFigure(preview: PreviewEntry): HTMLElement {
  return element(
    'figure',
    { class: 'viewer-figure', 'data-step': String(preview.step) },
    previewImage(preview, 'viewer-image'),
    element(
      'figcaption',
      {},
      element('strong', {}, `Step ${preview.step.toLocaleString('en-US')}`),
      element('p', { class: 'prompt' }, preview.prompt),
      preview.negativePrompt ? element('p', { class: 'negative' }, `Negative: ${preview.negativePrompt}`) : null,
      element('p', { class: 'parameters' }, [`${preview.sampler}, ${preview.samplingSteps} steps, seed ${preview.seed}`, differenceText(preview)].filter(Boolean).join('; ')),
    ),
  );
}

export function openViewer(previews: PreviewEntry[]): void {
  const viewer = byId<HTMLDialogElement>('viewer');
  byId('viewer-title').textContent =
    previews.length === 2
      ? `Step ${previews[0].step.toLocaleString('en-US')} and step ${previews[1].step.toLocaleString('en-US')}`
      : `Preview at step ${previews[0].step.toLocaleString('en-US')}`;
  const body = byId('viewer-body');
  body.className = previews.length === 2 ? 'viewer-body compare' : 'viewer-body';
  body.replaceChildren(...previews.map(previewFigure));
  if (!viewer.open) viewer.showModal();
}

export function closeViewer(): void {
  const viewer = byId<HTMLDialogElement>('viewer');
  if (viewer.open) viewer.close();
}

export function comparedPreviews(model: ModelState, selection: GallerySelection): PreviewEntry[] {
  return selection.compare
    .map((key) => model.previews.find((p) => previewKey(p) === key))
    .filter((p): p is PreviewEntry => p !== undefined)
    .sort((a, b) => a.step - b.step);
}

/** What the empty gallery says: when the first preview comes, or that this run renders none. */
export function emptyGalleryText(model: Pick<ModelState, 'started'>): string {
  const every = model.started?.config.previewEvery;
  if (every === 0) return 'This run renders no previews ("Preview every" is 0 steps). Start a run with a preview interval to watch the embedding take shape.';
  if (typeof every === 'number' && every > 0) return `No previews yet: the trainer renders one every ${every.toLocaleString('en-US')} steps.`;
  return 'No previews yet: the trainer renders one every few hundred steps.';
}

export function renderGallery(model: ModelState, selection: GallerySelection, onSelectionChange: () => void): void {
  selection.compare = selection.compare.filter((key) => model.previews.some((p) => previewKey(p) === key));
  const cards = [...model.previews].reverse().map((preview) => {
    const key = previewKey(preview);
    const selected = selection.compare.includes(key);
    const toggle = button(
      selected ? 'Selected' : 'Compare',
      () => {
        const i = selection.compare.indexOf(key);
        if (i >= 0) selection.compare.splice(i, 1);
        else {
          selection.compare.push(key);
          if (selection.compare.length > 2) selection.compare.shift();
        }
        onSelectionChange();
      },
      { class: 'secondary compare-toggle', 'aria-pressed': String(selected), 'aria-label': `Select step ${preview.step} (${preview.prompt}) for comparison` },
    );
    const enlarge = element('button', { type: 'button', class: 'thumb', 'aria-label': `Enlarge the preview at step ${preview.step}: ${preview.prompt}` }, previewImage(preview, 'thumb-image'));
    enlarge.addEventListener('click', () => openViewer([preview]));
    return element(
      'li',
      { class: selected ? 'preview-card selected' : 'preview-card', 'data-step': String(preview.step), 'data-key': key },
      enlarge,
      element(
        'div',
        { class: 'preview-caption' },
        element('strong', {}, `Step ${preview.step.toLocaleString('en-US')}`),
        element('span', { class: 'prompt', title: preview.prompt }, preview.prompt),
        element('span', { class: 'difference' }, differenceText(preview)),
      ),
      toggle,
    );
  });
  const gallery = byId('gallery');
  // Keep keyboard focus on the same button of the same card across the rebuild.
  const focused = document.activeElement instanceof HTMLElement && gallery.contains(document.activeElement) ? document.activeElement : null;
  const focusedKey = focused?.closest<HTMLElement>('.preview-card')?.dataset.key;
  const focusedClass = focused?.classList.contains('thumb') ? 'thumb' : 'compare-toggle';
  if (cards.length === 0) gallery.replaceChildren(element('li', { class: 'empty' }, emptyGalleryText(model)));
  else gallery.replaceChildren(...cards);
  if (focusedKey !== undefined) cards.find((card) => card.dataset.key === focusedKey)?.querySelector<HTMLElement>(`.${focusedClass}`)?.focus();
  byId<HTMLButtonElement>('compare-open').disabled = comparedPreviews(model, selection).length !== 2;
}
