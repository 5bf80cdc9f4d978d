// `selected_tags.csv`, the tag list published beside each WD14 tagger model: one row per model
// output, columns `tag_id,name,category,count`; category 9 = rating, 0 = general, 4 = character.
import { promises as fs } from 'node:fs';

export type TagCategory = 'rating' | 'general' | 'character';

export interface TaggerTag {
  /** The name as published (underscores, unescaped parentheses). */
  name: string;
  category: TagCategory;
  /** Raw category number (other numbers, e.g. 1 artist or 3 copyright, are read as general). */
  categoryCode: number;
}

export interface TagTable {
  tags: TaggerTag[];
  /** Model output indices of each category, in file order. */
  ratingIndices: number[];
  generalIndices: number[];
  characterIndices: number[];
}

export class TagTableError extends Error {}

/** Splits one CSV line, honouring double quotes ("a,b" and "" for a quote). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') fields.push(field), (field = '');
    else field += c;
  }
  fields.push(field);
  return fields;
}

export function parseSelectedTags(text: string, file = 'selected_tags.csv'): TagTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvFields(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const nameColumn = header.indexOf('name');
  const categoryColumn = header.indexOf('category');
  if (nameColumn < 0 || categoryColumn < 0) {
    throw new TagTableError(`${file}:1: expected a header with 'name' and 'category' columns (tag_id,name,category,count), found '${lines[0] ?? ''}' — use the selected_tags.csv published with the tagger model`);
  }
  const table: TagTable = { tags: [], ratingIndices: [], generalIndices: [], characterIndices: [] };
  for (let row = 1; row < lines.length; row++) {
    if (lines[row].trim() === '') continue;
    const fields = csvFields(lines[row]);
    const name = fields[nameColumn];
    const code = Number(fields[categoryColumn]);
    if (name === undefined || name === '' || fields[categoryColumn] === undefined || !Number.isInteger(code)) {
      throw new TagTableError(`${file}:${row + 1}: expected a tag name and a whole-number category, found '${lines[row]}'`);
    }
    const category: TagCategory = code === 9 ? 'rating' : code === 4 ? 'character' : 'general';
    const index = table.tags.length;
    table.tags.push({ name, category, categoryCode: code });
    (category === 'rating' ? table.ratingIndices : category === 'character' ? table.characterIndices : table.generalIndices).push(index);
  }
  if (table.tags.length === 0) throw new TagTableError(`${file}: no tags listed below the header`);
  return table;
}

export async function readSelectedTags(file: string): Promise<TagTable> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new TagTableError(`${file}: cannot read the tag list (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}) — point the tagger at the selected_tags.csv beside model.onnx`);
  }
  return parseSelectedTags(text, file);
}
