import { yearOfRotations } from "../../support/workerd/key-rotation-year";

yearOfRotations("kv");
