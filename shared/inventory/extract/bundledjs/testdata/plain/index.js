exports.handler = async () => ({ version: "1.0.0" });
