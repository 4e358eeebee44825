/**
 * Entry point `blocksApi`: the private blocks API (connect, disconnect,
 * rotate, check, list, show, and the scheduled check of every Block: POST
 * /checks). Logic: shared/blocks/app.ts; docs/blocks.md.
 */
import * as functions from '@google-cloud/functions-framework';
import { createBlocksApi } from '../../shared/blocks/app';

functions.http('blocksApi', createBlocksApi());
