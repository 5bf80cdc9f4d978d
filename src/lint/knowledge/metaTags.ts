// Tags that describe the file rather than the picture: resolution classes, site bookkeeping,
// translation notes, ratings and prompt-quality words. Trained into a caption they teach the
// embedding nothing about the character and waste tokens.
//
// Deliberately NOT here: `watermark`, `signature`, `artist name`, `dated`, `web address`,
// `username`, `jpeg artifacts`. Those name marks that are visible in the picture; keeping the
// tag lets the tag absorb the mark instead of the embedding (better still: crop the mark out).

export const metaTagGroups: Record<string, string[]> = {
  resolution: ['absurdres', 'incredibly absurdres', 'highres', 'lowres', 'huge filesize', 'wallpaper', '4k', '8k', '1080p'],
  bookkeeping: [
    'commentary request', 'commentary', 'english commentary', 'chinese commentary', 'japanese commentary', 'korean commentary',
    'symbol-only commentary', 'mixed-language commentary', 'translated', 'translation request', 'partially translated',
    'check translation', 'hard-translated', 'bad id', 'bad pixiv id', 'bad twitter id', 'bad deviantart id', 'bad tumblr id',
    'bad link', 'md5 mismatch', 'resized', 'upscaled', 'downscaled', 'revision', 'tagme', 'artist request', 'character request',
    'copyright request', 'source request', 'third-party edit', 'official art', 'duplicate', 'image sample', 'pixiv sample',
    'scan', 'non-web source', 'paid reward available', 'variant set', 'artist collaboration', 'photoshop (medium)',
  ],
  rating: ['general', 'sensitive', 'questionable', 'explicit', 'safe', 'nsfw', 'sfw', 'rating:general', 'rating:sensitive', 'rating:questionable', 'rating:explicit', 'rating:safe'],
  quality: ['masterpiece', 'best quality', 'high quality', 'normal quality', 'low quality', 'worst quality', 'extremely detailed', 'ultra detailed', 'amazing quality'],
};

export const metaTags: ReadonlyMap<string, string> = new Map(
  Object.entries(metaTagGroups).flatMap(([group, tags]) => tags.map((tag) => [tag, group] as [string, string])),
);
