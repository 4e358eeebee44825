/**
 * Entry point `blocksApi`: the private blocks API (connect, disconnect,
 * rotate, check, list, show). Logic: shared/blocks/app.ts; docs/blocks.md.
 */
import * as functions from '@google-cloud/functions-framework';
import { createBlocksApi } from '../../shared/blocks/app';

functions.http('blocksApi', createBlocksApi());
