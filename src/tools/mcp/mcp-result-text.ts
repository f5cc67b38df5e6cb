/** A content block of an MCP tool result, as far as Enclave reads it. */
interface ContentBlock {
  type: string;
  text?: unknown;
  mimeType?: unknown;
  uri?: unknown;
  resource?: { uri?: unknown; text?: unknown; mimeType?: unknown };
}

/**
 * An MCP tool result as the text the model sees in the tool role: text blocks as they are, other
 * blocks as a short placeholder, and structured content as JSON when there is no text. The text is
 * untrusted (the server wrote it); it never goes into the system prompt.
 */
export function mcpResultText(result: { content?: unknown; structuredContent?: unknown }): string {
  const blocks = Array.isArray(result.content) ? (result.content as ContentBlock[]) : [];
  const parts: string[] = [];
  for (const block of blocks) {
    if (block.type === 'text' && typeof block.text === 'string') parts.push(block.text);
    else if (block.type === 'resource' && typeof block.resource?.text === 'string') parts.push(block.resource.text);
    else if (block.type === 'resource' || block.type === 'resource_link') {
      parts.push(`[resource ${String(block.resource?.uri ?? block.uri ?? '')}]`);
    } else parts.push(`[${block.type}${typeof block.mimeType === 'string' ? ` ${block.mimeType}` : ''}]`);
  }
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return parts.join('\n');
}
