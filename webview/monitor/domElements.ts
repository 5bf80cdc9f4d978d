// Small DOM builders, so renderers read as the structure they produce (no innerHTML: text from
// the trainer, prompts and paths included, is never parsed as markup).

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null) node.append(child);
  return node;
}

export function button(label: string, onClick: () => void, attributes: Record<string, string> = {}): HTMLButtonElement {
  const node = element('button', { type: 'button', ...attributes }, label);
  node.addEventListener('click', onClick);
  return node;
}

export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`monitor page: element #${id} is missing from the HTML`);
  return node as T;
}

/** A definition list's rows from [term, value] pairs. */
export function fillDefinitions(list: HTMLElement, rows: [string, string][]): void {
  list.replaceChildren(...rows.flatMap(([term, value]) => [element('dt', {}, term), element('dd', {}, value)]));
}

/** The same, each term and value wrapped in a <div> so a grid can lay the pairs out as cells. */
export function fillDefinitionGroups(list: HTMLElement, rows: [string, string][]): void {
  list.replaceChildren(...rows.map(([term, value]) => element('div', { class: 'figure' }, element('dt', {}, term), element('dd', {}, value))));
}

/**
 * Rebuilds a node's content only when `key` (what it shows) changed: keyboard focus stays where it
 * is and live regions (role=status/alert) are not re-announced on every progress message.
 */
export function renderIfChanged(node: HTMLElement, key: string, build: () => void): void {
  if (node.dataset.renderKey === key) return;
  node.dataset.renderKey = key;
  build();
}

/** Sets text only when it differs, for the same reasons. */
export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}
