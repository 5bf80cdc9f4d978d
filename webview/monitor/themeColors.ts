// Chart colours come from the VS Code theme at run time (the CSS variables VS Code sets on the
// page), so light, dark and high-contrast themes all read well; re-read when the theme changes.

export interface ThemeColors {
  foreground: string;
  gridLines: string;
  loss: string;
  lossAverage: string;
  learningRate: string;
  saved: string;
  healthy: string;
  plateau: string;
  diverged: string;
  background: string;
  highContrast: boolean;
}

const fallbacks: Record<string, string> = {
  '--vscode-charts-foreground': '#cccccc',
  '--vscode-charts-lines': 'rgba(128, 128, 128, 0.5)',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-editor-background': '#1e1e1e',
};

export function readThemeColors(root: HTMLElement = document.documentElement): ThemeColors {
  const style = getComputedStyle(root);
  const read = (name: string) => style.getPropertyValue(name).trim() || fallbacks[name];
  return {
    foreground: read('--vscode-charts-foreground'),
    gridLines: read('--vscode-charts-lines'),
    loss: read('--vscode-charts-blue'),
    lossAverage: read('--vscode-charts-blue'),
    learningRate: read('--vscode-charts-orange'),
    saved: read('--vscode-charts-purple'),
    healthy: read('--vscode-charts-green'),
    plateau: read('--vscode-charts-yellow'),
    diverged: read('--vscode-charts-red'),
    background: read('--vscode-editor-background'),
    highContrast: document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
  };
}

/** The same colour with the given opacity; colours in a form we do not parse are returned as they are. */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(color.trim());
  if (hex) {
    let digits = hex[1];
    if (digits.length === 3 || digits.length === 4) digits = [...digits].map((d) => d + d).join('');
    if (digits.length !== 6 && digits.length !== 8) return color;
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16));
    const a = digits.length === 8 ? parseInt(digits.slice(6, 8), 16) / 255 : 1;
    return `rgba(${r}, ${g}, ${b}, ${+(a * alpha).toFixed(3)})`;
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i.exec(color.trim());
  if (rgb) {
    const a = rgb[4] === undefined ? 1 : rgb[4].endsWith('%') ? parseFloat(rgb[4]) / 100 : parseFloat(rgb[4]);
    return `rgba(${rgb[1]}, ${rgb[2]}, ${rgb[3]}, ${+(a * alpha).toFixed(3)})`;
  }
  return color;
}
