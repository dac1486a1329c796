import path from "node:path";

/** The FileDescriptorSet of every BMI proto and its imports (buf build), fed to server reflection. */
export const descriptorSetPath = path.join(__dirname, "..", "gen", "bmi.binpb");
