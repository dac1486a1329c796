/**
 * Lua run inside Redis so that each check-and-change is atomic: two operators registering the same MAC, or two
 * projects allocating the same node, cannot both win. Answers are tables whose first element says what happened.
 * The scripts are the .lua files in ./lua (loadLua reads them from src/ also when this runs from dist/).
 */
import { loadLua } from "@bmi/redis";

/** KEYS nodes, macs; ARGV name, record JSON, macs... */
export const REGISTER = loadLua(__dirname, "lua/register");

/** KEYS nodes, macs; ARGV name, expected old JSON, new JSON, new macs... (compare-and-set on the record) */
export const UPDATE = loadLua(__dirname, "lua/update");

/** KEYS nodes, macs, projects, nets; ARGV name */
export const UNREGISTER = loadLua(__dirname, "lua/unregister");

/** KEYS nodes, projects; ARGV name, project */
export const ASSIGN = loadLua(__dirname, "lua/assign");

/** KEYS projects, nets; ARGV name, project. Freeing a node forgets its networks. */
export const UNASSIGN = loadLua(__dirname, "lua/unassign");

/** KEYS projects, nets; ARGV name, project, nic, channel, network ('' detaches network ARGV[6]) */
export const ATTACH = loadLua(__dirname, "lua/attach");
